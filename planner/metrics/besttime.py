"""Best time to post: an hour-of-week heatmap of a channel's own engagement rate over the last 16 weeks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.metrics.results import _latest, engagement_sql
from planner.models import ScheduleEntry, utcnow

WEEKS = 16
# A cell's rate is pulled towards the channel's average as if it had this many average posts more (empirical
# Bayes shrinkage), so one lucky post does not make an hour "the best".
PRIOR_POSTS = 2
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Entries are published close to when they were scheduled: the window is read on the (channel, scheduled_at) index.
SCHEDULE_SLACK = timedelta(days=7)


def channel_results(session: Session, channel_id: int, now: datetime | None = None, weeks: int = WEEKS) -> pd.DataFrame:
    """Return the channel's published posts of the last `weeks` weeks: published_at, engagements, impressions."""
    now = now or utcnow()
    start = now - timedelta(weeks=weeks)
    entry_ids = select(ScheduleEntry.id).where(
        ScheduleEntry.channel_id == channel_id,
        ScheduleEntry.scheduled_at >= start - SCHEDULE_SLACK,
        ScheduleEntry.scheduled_at < now + SCHEDULE_SLACK,
        ScheduleEntry.status == "published",
        ScheduleEntry.published_at >= start,
        ScheduleEntry.published_at < now,
    )
    latest = _latest(entry_ids)
    rows = session.execute(
        select(ScheduleEntry.published_at, engagement_sql(latest), latest.c.impressions)
        .join(latest, latest.c.entry_id == ScheduleEntry.id)
        .where(latest.c.impressions > 0)
    ).all()
    return pd.DataFrame(rows, columns=["published_at", "engagements", "impressions"])


def heatmap(
    session: Session, channel_id: int, now: datetime | None = None, zone: str = "UTC", weeks: int = WEEKS
) -> pd.DataFrame:
    """Return a 7 x 24 frame (weekday 0 = Monday, hour in `zone`) of scores: 1.0 is the channel's usual
    engagement rate, 1.5 is half as good again; NaN where the channel never posted."""
    frame = channel_results(session, channel_id, now, weeks)
    grid = pd.DataFrame(np.nan, index=range(7), columns=range(24))
    grid.index.name, grid.columns.name = "weekday", "hour"
    if frame.empty or frame["impressions"].sum() == 0:
        return grid
    local = pd.to_datetime(frame["published_at"], utc=True).dt.tz_convert(ZoneInfo(zone))
    frame = frame.assign(
        weekday=local.dt.day_of_week, hour=local.dt.hour, rate=frame["engagements"] / frame["impressions"]
    )
    average = frame["engagements"].sum() / frame["impressions"].sum()
    if average == 0:
        return grid
    cells = frame.groupby(["weekday", "hour"]).agg(posts=("rate", "size"), rate=("rate", "mean"))
    shrunk = (cells["rate"] * cells["posts"] + average * PRIOR_POSTS) / (cells["posts"] + PRIOR_POSTS)
    for (weekday, hour), score in (shrunk / average).items():
        grid.loc[weekday, hour] = round(float(score), 4)
    return grid


def best_times(
    session: Session, channel_id: int, now: datetime | None = None, zone: str = "UTC", weeks: int = WEEKS
) -> dict[tuple[int, int], float]:
    """Return {(weekday, hour): score} for the hours the channel posted in over the last `weeks` weeks.

    Weekday 0 is Monday, hours are in `zone`; a score of 1.0 is the channel's usual engagement rate by
    impressions, above 1 better. Hours without posts are left out (no evidence either way).
    """
    grid = heatmap(session, channel_id, now, zone, weeks)
    return {(int(d), int(h)): float(v) for (d, h), v in grid.stack().items() if not np.isnan(v)}


def best_hours(session: Session, channel_id: int, now: datetime | None = None, weeks: int = WEEKS) -> dict[int, float]:
    """Return {UTC hour of week (0 = Monday 00:00): score} for the schedule's slot suggestions (Scorer.best_hours)."""
    return {day * 24 + hour: score for (day, hour), score in best_times(session, channel_id, now, "UTC", weeks).items()}


def best_hours_by_channel(
    session: Session, channel_ids: list[int], now: datetime | None = None, weeks: int = WEEKS
) -> dict[int, dict[int, float]]:
    """Return {channel id: best_hours(...)} for the channels that have results (the auto-scheduler's input)."""
    out = {}
    for channel_id in channel_ids:
        hours = best_hours(session, channel_id, now, weeks)
        if hours:
            out[channel_id] = hours
    return out
