"""Results of published posts, aggregated in SQL: campaign totals and KPIs, reach over time, per-post table, A/B."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Float, and_, case, cast, desc, func, literal, select
from sqlalchemy.orm import Session, aliased

from planner import campaigns
from planner.errors import PlannerError
from planner.metrics import abtest
from planner.metrics.kpis import COMPONENTS, ENGAGEMENT_COMPONENTS, KPI_BY_KEY, Attainment, attainment, rates
from planner.models import Campaign, Channel, Draft, MetricSnapshot, ScheduleEntry

PAGE_SIZE = 50


class ResultsError(PlannerError):
    """A results query was asked for something that does not exist (an unknown sort column)."""


@dataclass(frozen=True)
class Scope:
    """Which published posts a result covers: one campaign (or all) and a publication period [since, until)."""

    campaign_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _entries(scope: Scope):
    """Return a select of the ids of published entries in scope (uses the draft and campaign indexes)."""
    stmt = select(ScheduleEntry.id.label("entry_id")).where(
        ScheduleEntry.status == "published", ScheduleEntry.published_at.is_not(None)
    )
    if scope.campaign_id is not None:
        stmt = stmt.join(Draft, Draft.id == ScheduleEntry.draft_id).where(Draft.campaign_id == scope.campaign_id)
    if scope.since is not None:
        stmt = stmt.where(ScheduleEntry.published_at >= scope.since)
    if scope.until is not None:
        stmt = stmt.where(ScheduleEntry.published_at < scope.until)
    return stmt


def _latest(entry_ids):
    """Return a subquery of each entry's newest snapshot (one index seek per entry on entry_id, captured_at)."""
    inner = aliased(MetricSnapshot)
    newest = select(func.max(inner.captured_at)).where(inner.entry_id == MetricSnapshot.entry_id).scalar_subquery()
    return (
        select(MetricSnapshot)
        .where(MetricSnapshot.entry_id.in_(entry_ids), MetricSnapshot.captured_at == newest)
        .subquery("latest")
    )


def engagement_sql(table):
    """Return the SQL expression of engagements for a table with the component columns (missing counts as 0)."""
    total = literal(0)
    for name in ENGAGEMENT_COMPONENTS:
        total = total + func.coalesce(table.c[name], 0)
    return total


def _reports_any_engagement(table):
    return func.coalesce(*[table.c[n] for n in ENGAGEMENT_COMPONENTS], literal(None)).is_not(None)


def totals(session: Session, scope: Scope = Scope()) -> dict[str, float | None]:
    """Return each component summed over the latest snapshots in scope, with the restricted sums rates need."""
    latest = _latest(_entries(scope))
    eng = engagement_sql(latest)
    has = {n: latest.c[n].is_not(None) for n in ("impressions", "reach", "link_clicks", "completions_100")}
    row = session.execute(
        select(
            func.count().label("posts_measured"),
            *[func.sum(latest.c[n]).label(n) for n in COMPONENTS],
            func.sum(eng).label("engagements"),
            func.sum(case((has["impressions"], eng))).label("engagements_with_impressions"),
            func.sum(case((has["reach"], eng))).label("engagements_with_reach"),
            func.sum(case((has["impressions"], latest.c.link_clicks))).label("link_clicks_with_impressions"),
            func.sum(case((has["link_clicks"], latest.c.impressions))).label("impressions_with_link_clicks"),
            func.sum(case((has["completions_100"], latest.c.video_views))).label("video_views_with_completions"),
            func.max(latest.c.reach).label("reach_lower_bound"),
        )
    ).one()
    out = {k: (None if v is None else float(v)) for k, v in row._mapping.items()}
    out["posts"] = float(session.scalar(select(func.count()).select_from(_entries(scope).subquery())) or 0)
    return out


@dataclass
class Summary:
    """The KPIs of a scope with their definitions, targets met, share of voice and time to response per trend."""

    scope: Scope
    campaign: str | None
    values: dict[str, float | None]
    targets: list[Attainment] = field(default_factory=list)
    voice: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Return a JSON-ready dict: every KPI value, definitions, targets and the per-trend table."""
        out: dict = {"campaign": self.campaign}
        out.update({k: _plain(v) for k, v in self.values.items()})
        out["definitions"] = {k: KPI_BY_KEY[k].definition for k in KPI_BY_KEY}
        out["targets"] = [t.as_dict() for t in self.targets]
        out["trends"] = [{k: _plain(v) for k, v in r.items()} for r in self.voice.to_dict("records")]
        out["notes"] = list(self.notes)
        return out


def _plain(value):
    if value is None or (not isinstance(value, list | dict | tuple) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def summary(session: Session, campaign: int | str | None = None, scope: Scope | None = None) -> Summary:
    """Return the KPIs of one campaign (name or id) or of every published post; raise CampaignError if unknown."""
    from planner.metrics import voice

    camp: Campaign | None = campaigns.get_campaign(session, campaign) if campaign not in (None, "") else None
    scope = scope or Scope()
    if camp is not None:
        scope = Scope(camp.id, scope.since, scope.until)
    sums = totals(session, scope)
    values: dict[str, float | None] = {k: sums.get(k) for k in COMPONENTS}
    values.update(
        posts=sums["posts"],
        posts_measured=sums["posts_measured"],
        engagements=sums["engagements"],
        reach_lower_bound=sums["reach_lower_bound"],
    )
    values.update(rates(sums))
    table = voice.by_trend(session, scope)
    values.update(voice.overall(table))
    result = Summary(scope, camp.name if camp else None, values, voice=table)
    if camp is not None:
        result.targets = attainment(campaigns.plan(camp)["kpi_targets"], values)
    if sums["posts"] and not sums["posts_measured"]:
        result.notes.append("No metrics recorded yet for the published posts: import an export or enter figures.")
    elif sums["posts_measured"] < sums["posts"]:
        result.notes.append(
            f"{int(sums['posts'] - sums['posts_measured'])} of {int(sums['posts'])} published posts have no metrics "
            "yet: totals cover the others."
        )
    return result


def reach_over_time(session: Session, scope: Scope, day_zone: str = "UTC") -> pd.DataFrame:
    """Return per day the summed impressions and reach of the posts in scope as known by the end of that day.

    Each snapshot adds what grew since the entry's previous one (SQL window function), so a day's figure is the
    sum over posts of their latest lifetime counts: reach summed this way is NOT unique people.
    """
    entry_ids = _entries(scope)
    prev = {
        n: func.lag(func.coalesce(MetricSnapshot.__table__.c[n], 0), 1, 0).over(
            partition_by=MetricSnapshot.entry_id, order_by=MetricSnapshot.captured_at
        )
        for n in ("impressions", "reach")
    }
    eng = engagement_sql(MetricSnapshot.__table__)
    prev_eng = func.lag(eng, 1, 0).over(partition_by=MetricSnapshot.entry_id, order_by=MetricSnapshot.captured_at)
    deltas = (
        select(
            MetricSnapshot.captured_at.label("captured_at"),
            (func.coalesce(MetricSnapshot.impressions, 0) - prev["impressions"]).label("impressions"),
            (func.coalesce(MetricSnapshot.reach, 0) - prev["reach"]).label("reach"),
            (eng - prev_eng).label("engagements"),
        )
        .where(MetricSnapshot.entry_id.in_(entry_ids))
        .subquery()
    )
    day = _day(session, deltas.c.captured_at, day_zone)
    rows = session.execute(
        select(
            day.label("day"),
            func.sum(deltas.c.impressions),
            func.sum(deltas.c.reach),
            func.sum(deltas.c.engagements),
        )
        .group_by(day)
        .order_by(day)
    ).all()
    frame = pd.DataFrame(rows, columns=["day", "impressions", "reach", "engagements"])
    frame["day"] = pd.to_datetime(frame["day"])
    for col in ("impressions", "reach", "engagements"):
        frame[col] = frame[col].astype("int64").cumsum()
    return frame


def _day(session: Session, column, zone: str = "UTC"):
    """Return an SQL expression of the calendar day of a UTC datetime column in `zone` (UTC on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(zone, column))
    return func.date(column)


SORTABLE = {
    "published_at": "Published",
    "impressions": "Impressions",
    "reach": "Reach",
    "engagements": "Engagements",
    "engagement_rate_impressions": "Engagement rate by impressions",
    "engagement_rate_reach": "Engagement rate by reach",
    "ctr": "Click-through rate",
    "link_clicks": "Link clicks",
    "follows_gained": "Follows gained",
}
POST_COLUMNS = [
    "entry_id",
    "published_at",
    "draft",
    "ab_label",
    "platform",
    "channel",
    "url",
    "captured_at",
    "impressions",
    "reach",
    "engagements",
    "engagement_rate_impressions",
    "engagement_rate_reach",
    "ctr",
    "link_clicks",
    "video_views",
    "video_completion_rate",
    "follows_gained",
]


def _rate(num, den):
    return cast(num, Float) / func.nullif(den, 0)


def posts_table(
    session: Session,
    scope: Scope,
    sort: str = "published_at",
    descending: bool = True,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """Return one page of published posts in scope with their latest figures, sorted in SQL, and the total count."""
    if sort not in SORTABLE:
        raise ResultsError(f"sort: {sort!r} is not one of {', '.join(SORTABLE)}")
    entry_ids = _entries(scope)
    latest = _latest(entry_ids)
    eng = engagement_sql(latest)
    has_eng = _reports_any_engagement(latest)
    exprs = {
        "engagements": case((has_eng, eng)),
        "engagement_rate_impressions": _rate(eng, latest.c.impressions),
        "engagement_rate_reach": _rate(eng, latest.c.reach),
        "ctr": _rate(latest.c.link_clicks, latest.c.impressions),
        "video_completion_rate": _rate(latest.c.completions_100, latest.c.video_views),
    }
    stmt = (
        select(
            ScheduleEntry.id,
            ScheduleEntry.published_at,
            Draft.title,
            Draft.ab_label,
            Channel.platform,
            Channel.handle,
            ScheduleEntry.published_url,
            latest.c.captured_at,
            latest.c.impressions,
            latest.c.reach,
            exprs["engagements"],
            exprs["engagement_rate_impressions"],
            exprs["engagement_rate_reach"],
            exprs["ctr"],
            latest.c.link_clicks,
            latest.c.video_views,
            exprs["video_completion_rate"],
            latest.c.follows_gained,
        )
        .join(Draft, Draft.id == ScheduleEntry.draft_id)
        .join(Channel, Channel.id == ScheduleEntry.channel_id)
        .outerjoin(latest, latest.c.entry_id == ScheduleEntry.id)
        .where(ScheduleEntry.id.in_(entry_ids))
    )
    key = exprs.get(sort, latest.c[sort] if sort in latest.c else ScheduleEntry.published_at)
    # Posts without a figure go last whichever way the column is sorted.
    order = [key.is_(None), desc(key) if descending else key, ScheduleEntry.id.desc()]
    rows = session.execute(stmt.order_by(*order).limit(limit).offset(offset)).all()
    total = session.scalar(select(func.count()).select_from(entry_ids.subquery())) or 0
    frame = pd.DataFrame(rows, columns=POST_COLUMNS)
    return frame, int(total)


def ab_tests(session: Session, scope: Scope) -> list[tuple[str, abtest.ABResult]]:
    """Return, per channel, the A/B test of drafts labelled A against drafts labelled B (latest figures)."""
    entry_ids = _entries(scope)
    latest = _latest(entry_ids)
    label = func.upper(func.trim(Draft.ab_label))
    rows = session.execute(
        select(
            Channel.platform,
            Channel.handle,
            label,
            func.sum(case((latest.c.impressions.is_not(None), engagement_sql(latest)))),
            func.sum(latest.c.impressions),
        )
        .select_from(ScheduleEntry)
        .join(Draft, Draft.id == ScheduleEntry.draft_id)
        .join(Channel, Channel.id == ScheduleEntry.channel_id)
        .join(latest, latest.c.entry_id == ScheduleEntry.id)
        .where(and_(ScheduleEntry.id.in_(entry_ids), label.in_(["A", "B"])))
        .group_by(Channel.platform, Channel.handle, label)
    ).all()
    arms: dict[str, dict[str, abtest.Arm]] = {}
    for platform, handle, ab, eng, impressions in rows:
        arms.setdefault(f"{platform} {handle}", {})[ab] = abtest.Arm(ab, int(eng or 0), int(impressions or 0))
    return [(channel, abtest.compare(pair["A"], pair["B"])) for channel, pair in sorted(arms.items()) if len(pair) == 2]
