"""Home's dashboard for the signed-in person: posts due next, reviews, drafts sent back, trends, pauses, week's KPIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from planner import drafts, workflow
from planner.audit import Actor
from planner.metrics import kpis, results
from planner.models import Campaign, Draft, DraftComment, DraftVersion, MetricSnapshot, Trend, User, utcnow
from planner.schedule import entries, pauses

REVIEW_COLUMNS = ["id", "title", "campaign", "approvals", "updated_at"]
CHANGES_COLUMNS = ["id", "title", "campaign", "request", "updated_at"]
TREND_COLUMNS = ["id", "key", "kind", "lifecycle", "status", "score", "detected_at"]
# Triage states that ask for attention on Home: not looked at yet, or marked for a response.
OPEN_TRIAGE = ("respond", "new")
DUE_COLUMNS = ["id", "draft_id", "at", "channel", "title", "campaign", "status", "pause_reason", "soon"]
PAUSE_COLUMNS = ["id", "scope", "reason", "set_by", "starts_at", "ends_at", "missed"]
# How far ahead "due next" looks; the week's KPIs compare the last 7 days with the 7 before.
DUE_HORIZON = timedelta(days=30)
DUE_SOON = timedelta(hours=1)  # "soon": staff should be ready to post it
WEEK = timedelta(days=7)
WEEK_KPIS = ("reach", "impressions", "engagements", "engagement_rate_impressions")


def reviews_waiting(session: Session, actor: Actor) -> pd.DataFrame:
    """Return drafts in review that `actor` may approve now and has not approved yet, oldest change first."""
    rows = []
    stmt = (
        select(Draft, Campaign.name, Campaign.required_approvals)
        .join(Campaign, Campaign.id == Draft.campaign_id)
        .where(Draft.status == "in_review")
        .order_by(Draft.updated_at)
    )
    for draft, campaign, required in session.execute(stmt).all():
        if "approve" not in {t.name for t in workflow.available(session, actor, draft)}:
            continue
        valid = drafts.valid_approvals(session, draft)
        if any(a.reviewer_id == actor.user_id for a in valid):
            continue
        rows.append([draft.id, draft.title, campaign, f"{len(valid)}/{required}", draft.updated_at])
    return pd.DataFrame(rows, columns=REVIEW_COLUMNS)


def changes_requested(session: Session, actor: Actor) -> pd.DataFrame:
    """Return drafts `actor` wrote or edited that a reviewer sent back, with the reviewer's request."""
    if actor.user_id is None:
        return pd.DataFrame(columns=CHANGES_COLUMNS)
    mine = select(DraftVersion.draft_id).where(DraftVersion.author_id == actor.user_id)
    stmt = (
        select(Draft, Campaign.name)
        .join(Campaign, Campaign.id == Draft.campaign_id)
        .where(Draft.status == "changes_requested", or_(Draft.created_by == actor.user_id, Draft.id.in_(mine)))
        .order_by(Draft.updated_at.desc())
    )
    rows = []
    for draft, campaign in session.execute(stmt).all():
        request = session.scalar(
            select(DraftComment.body)
            .where(DraftComment.draft_id == draft.id, DraftComment.body.startswith("Changes requested:"))
            .order_by(DraftComment.id.desc())
            .limit(1)
        )
        note = (request or "").removeprefix("Changes requested:").strip()
        rows.append([draft.id, draft.title, campaign, note, draft.updated_at])
    return pd.DataFrame(rows, columns=CHANGES_COLUMNS)


def trends_to_answer(session: Session, limit: int = 10) -> pd.DataFrame:
    """Return trends marked 'respond' and new, untriaged trends: respond first, then watchlisted, best score."""
    stmt = (
        select(Trend.id, Trend.key, Trend.kind, Trend.lifecycle, Trend.status, Trend.score, Trend.detected_at)
        .where(Trend.status.in_(OPEN_TRIAGE))
        .order_by(case((Trend.status == "respond", 0), else_=1), Trend.watchlisted.desc(), Trend.score.desc(), Trend.id)
        .limit(limit)
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=TREND_COLUMNS)


def triage_counts(session: Session) -> dict[str, int]:
    """Return how many trends are in each triage state (new, watching, respond, ignored)."""
    return dict(session.execute(select(Trend.status, func.count(Trend.id)).group_by(Trend.status)).all())


def due_next(session: Session, now: datetime | None = None, limit: int = 8) -> pd.DataFrame:
    """Return the next posts due to publish (planned, or held by a pause) from now, soonest first; `soon` marks
    those due within the hour."""
    now = now or utcnow()
    frame = entries.entries_frame(session, now, now + DUE_HORIZON, include_cancelled=False)
    frame = frame[frame["status"].isin(("planned", "paused"))].assign(soon=lambda f: f["at"] < now + DUE_SOON)
    return frame[DUE_COLUMNS].head(limit).reset_index(drop=True)


def _scope_words(scope: pauses.Scope) -> str:
    return "Everything" if scope.kind == "all" else f"{scope.kind.capitalize()} {scope.label}"


def active_pauses(session: Session, now: datetime | None = None) -> pd.DataFrame:
    """Return the crisis pauses in force now, newest first: what they cover, why, who set them, since and until."""
    now = now or utcnow()
    names = dict(session.execute(select(User.id, User.username)).all())
    rows = [
        [
            p.id,
            _scope_words(pauses.scope_of(session, p)),
            p.reason,
            names.get(p.created_by, "someone no longer listed"),
            p.starts_at,
            p.ends_at,
            len(pauses.missed_entries(session, p, now)),
        ]
        for p in sorted(pauses.active_pauses(session, now), key=lambda p: (p.starts_at, p.id), reverse=True)
    ]
    return pd.DataFrame(rows, columns=PAUSE_COLUMNS)


@dataclass(frozen=True)
class WeekFigure:
    """One KPI over the posts published in the last 7 days, and over the 7 days before."""

    key: str
    label: str
    this_week: float | None
    last_week: float | None

    @property
    def value(self) -> str:
        return kpis.format_value(self.key, self.this_week)

    @property
    def change(self) -> str | None:
        """The change from the week before ('+1,200', '-0.40 points'), or None when either week has no figure."""
        if self.this_week is None or self.last_week is None:
            return None
        diff = self.this_week - self.last_week
        if kpis.KPI_BY_KEY[self.key].unit == "rate":
            return f"{diff * 100:+.2f} points"
        return f"{diff:+,.0f}"


@dataclass(frozen=True)
class Week:
    """The week's KPIs: the figures, and how many posts each week published and has figures for."""

    figures: list[WeekFigure]
    posts: int
    measured: int
    posts_before: int


def week_kpis(session: Session, now: datetime | None = None) -> Week | None:
    """Return reach, impressions, engagements and engagement rate of the posts published in the last 7 days against
    the 7 days before (latest recorded figures per post); None while no metrics have been recorded at all."""
    if session.scalar(select(MetricSnapshot.id).limit(1)) is None:
        return None
    now = now or utcnow()
    this = results.totals(session, results.Scope(since=now - WEEK, until=now))
    before = results.totals(session, results.Scope(since=now - 2 * WEEK, until=now - WEEK))
    this.update(kpis.rates(this))
    before.update(kpis.rates(before))

    def pick(values: dict, key: str) -> float | None:
        return values.get(key) if values.get("posts_measured") else None

    figures = [WeekFigure(k, kpis.KPI_BY_KEY[k].label, pick(this, k), pick(before, k)) for k in WEEK_KPIS]
    return Week(figures, int(this["posts"]), int(this["posts_measured"] or 0), int(before["posts"]))
