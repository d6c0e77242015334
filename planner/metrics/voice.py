"""Share of voice and time to response: our published posts on a trend against its monitored volume."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from planner.metrics.results import Scope, _day, _entries, _latest
from planner.models import CampaignTrend, DraftTrend, ScheduleEntry, Trend

VOICE_COLUMNS = [
    "trend_id",
    "trend",
    "kind",
    "window_start",
    "window_end",
    "our_posts",
    "our_reach",
    "monitored_posts",
    "share_of_voice",
    "detected_at",
    "first_response_at",
    "time_to_response_minutes",
]


def _answers(scope: Scope):
    """Return a select of (entry id, trend id) for published entries in scope and the trends they answer."""
    entry_ids = _entries(scope)
    direct = select(ScheduleEntry.id.label("entry_id"), ScheduleEntry.trend_id.label("trend_id")).where(
        ScheduleEntry.id.in_(entry_ids), ScheduleEntry.trend_id.is_not(None)
    )
    via_draft = (
        select(ScheduleEntry.id.label("entry_id"), DraftTrend.trend_id.label("trend_id"))
        .join(DraftTrend, DraftTrend.draft_id == ScheduleEntry.draft_id)
        .where(ScheduleEntry.id.in_(entry_ids))
    )
    return union(direct, via_draft).subquery("answers")


def window(trend: Trend) -> tuple[datetime, datetime, np.ndarray]:
    """Return the window a trend was monitored over (start, end) and its monitored posts per bucket."""
    counts = np.asarray(json.loads(trend.series or "[]"), dtype=np.int64)
    start = pd.Timestamp(trend.series_start or trend.detected_at)
    end = start + pd.Timedelta(seconds=trend.bucket_seconds or 3600) * max(len(counts), 1)
    return start.to_pydatetime(), end.to_pydatetime(), counts


def by_trend(session: Session, scope: Scope) -> pd.DataFrame:
    """Return per trend answered in scope (and per trend linked to the scope's campaign): share of voice and time
    to response."""
    answers = _answers(scope)
    latest = _latest(select(answers.c.entry_id))
    rows = session.execute(
        select(answers.c.trend_id, ScheduleEntry.published_at, latest.c.reach)
        .join(ScheduleEntry, ScheduleEntry.id == answers.c.entry_id)
        .outerjoin(latest, latest.c.entry_id == answers.c.entry_id)
    ).all()
    ours = pd.DataFrame(rows, columns=["trend_id", "published_at", "reach"])
    trend_ids = set(ours["trend_id"].tolist())
    if scope.campaign_id is not None:
        trend_ids |= set(
            session.scalars(select(CampaignTrend.trend_id).where(CampaignTrend.campaign_id == scope.campaign_id))
        )
    if not trend_ids:
        return pd.DataFrame(columns=VOICE_COLUMNS)
    records = []
    for trend in session.scalars(select(Trend).where(Trend.id.in_(trend_ids)).order_by(Trend.detected_at)):
        start, end, counts = window(trend)
        mine = ours[ours["trend_id"] == trend.id]
        inside = mine[(mine["published_at"] >= start) & (mine["published_at"] < end)]
        theirs = int(counts.sum())
        n = len(inside)
        after = mine[mine["published_at"] >= trend.detected_at]["published_at"]
        first = after.min() if len(after) else None
        records.append(
            {
                "trend_id": trend.id,
                "trend": trend.label or trend.key,
                "kind": trend.kind,
                "window_start": start,
                "window_end": end,
                "our_posts": n,
                "our_reach": int(inside["reach"].fillna(0).sum()),
                "monitored_posts": theirs,
                "share_of_voice": n / (n + theirs) if n + theirs else None,
                "detected_at": trend.detected_at,
                "first_response_at": first,
                "time_to_response_minutes": (first - trend.detected_at).total_seconds() / 60 if first else None,
            }
        )
    return pd.DataFrame(records, columns=VOICE_COLUMNS)


def overall(table: pd.DataFrame) -> dict[str, float | None]:
    """Return the scope's share of voice (posts over all its trends) and median time to response in minutes."""
    if table.empty:
        return {"share_of_voice": None, "time_to_response_minutes": None}
    ours, theirs = table["our_posts"].sum(), table["monitored_posts"].sum()
    ttr = pd.to_numeric(table["time_to_response_minutes"], errors="coerce").dropna()
    return {
        "share_of_voice": float(ours / (ours + theirs)) if ours + theirs else None,
        "time_to_response_minutes": float(ttr.median()) if len(ttr) else None,
    }


def volume_over_time(session: Session, scope: Scope, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return per day our published posts in scope and the monitored posts of the trends they answer."""
    entry_ids = _entries(scope)
    day = _day(session, ScheduleEntry.published_at)
    rows = session.execute(
        select(day, func.count()).where(ScheduleEntry.id.in_(entry_ids)).group_by(day).order_by(day)
    ).all()
    ours = pd.DataFrame(rows, columns=["day", "our_posts"])
    ours["day"] = pd.to_datetime(ours["day"])
    table = by_trend(session, scope) if table is None else table
    theirs = []
    for trend in session.scalars(select(Trend).where(Trend.id.in_(table["trend_id"].tolist() or [-1]))):
        start, _end, counts = window(trend)
        if len(counts):
            stamps = pd.date_range(start, periods=len(counts), freq=pd.Timedelta(seconds=trend.bucket_seconds))
            theirs.append(pd.Series(counts, index=stamps.tz_convert(None).floor("D")))
    monitored = (
        pd.concat(theirs).groupby(level=0).sum().rename("monitored_posts")
        if theirs
        else pd.Series(dtype="int64", name="monitored_posts")
    )
    frame = ours.set_index("day").join(monitored, how="outer").fillna(0).astype("int64")
    if len(frame):  # every day of the span, so quiet days show as 0 rather than being skipped
        frame = frame.reindex(pd.date_range(frame.index.min(), frame.index.max(), freq="D"), fill_value=0)
    frame.index.name = "day"
    return frame.reset_index()
