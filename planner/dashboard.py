"""The signed-in person's working list: drafts waiting for their review, their drafts sent back, trends to answer."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from planner import drafts, workflow
from planner.audit import Actor
from planner.models import Campaign, Draft, DraftComment, DraftVersion, Trend

REVIEW_COLUMNS = ["id", "title", "campaign", "approvals", "updated_at"]
CHANGES_COLUMNS = ["id", "title", "campaign", "request", "updated_at"]
TREND_COLUMNS = ["id", "key", "kind", "lifecycle", "status", "score", "detected_at"]
# Triage states that ask for attention on Home: not looked at yet, or marked for a response.
OPEN_TRIAGE = ("respond", "new")


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
