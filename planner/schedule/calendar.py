"""Calendar data: one query for a range, conflicts flagged, and the week, month and list views built from it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.orm import Session

from planner.schedule import ScheduleError
from planner.schedule.cadence import Cadence, all_cadences
from planner.schedule.entries import entries_frame

VIEWS = ("week", "month", "list")
# Statuses that occupy the channel at their time (a missed or cancelled post does not).
OCCUPYING = ("planned", "paused", "published")


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Return the UTC moment local `day` starts in `zone` (DST-safe)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def view_range(view: str, anchor: date, zone: ZoneInfo, list_days: int = 14) -> tuple[datetime, datetime]:
    """Return the UTC range [start, end) a view shows around local date `anchor`: its week, month or list days."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=7)
    elif view == "month":
        first = anchor.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    elif view == "list":
        first, last = anchor, anchor + timedelta(days=list_days)
    else:
        raise ScheduleError(f"view: {view!r} is not one of {', '.join(VIEWS)}")
    return local_midnight(first, zone), local_midnight(last, zone)


def flag_conflicts(frame: pd.DataFrame, cadences: Mapping[int, Cadence]) -> pd.DataFrame:
    """Return `frame` with `conflict` (bool) and `conflict_note`: same minute, too close, over the day's limit,
    outside allowed hours. Entries are never dropped: both of two posts at the same minute stay, each flagged."""
    notes: dict[int, list[str]] = {int(i): [] for i in frame["id"]}
    live = frame[frame["status"].isin(OCCUPYING)].sort_values(["channel_id", "at", "id"])
    for channel_id, group in live.groupby("channel_id", sort=True):
        cad = cadences.get(int(channel_id)) or Cadence(int(channel_id))
        gap = timedelta(minutes=cad.min_gap_minutes)
        rows = list(group[["id", "at"]].itertuples(index=False))
        for (a_id, a_at), (b_id, b_at) in zip(rows, rows[1:], strict=False):
            a_at, b_at = a_at.to_pydatetime(), b_at.to_pydatetime()
            if a_at.replace(second=0, microsecond=0) == b_at.replace(second=0, microsecond=0):
                notes[int(a_id)].append(f"same minute as #{b_id}")
                notes[int(b_id)].append(f"same minute as #{a_id}")
            elif b_at - a_at < gap:
                minutes = int((b_at - a_at).total_seconds() // 60)
                notes[int(b_id)].append(f"{minutes} min after #{a_id} (minimum gap {cad.min_gap_minutes} min)")
        days = group["at"].dt.tz_convert(cad.zone).dt.date
        for day, ids in group.groupby(days)["id"]:
            if len(ids) > cad.posts_per_day:
                for k, i in enumerate(ids.tolist()[cad.posts_per_day :], start=cad.posts_per_day + 1):
                    notes[int(i)].append(f"post {k} on {day} (limit {cad.posts_per_day} a day)")
        for i, at in zip(group["id"], group["at"], strict=True):
            if not cad.allows(at.to_pydatetime()):
                notes[int(i)].append("outside the channel's allowed hours or on a blackout date")
    out = frame.copy()
    out["conflict_note"] = [", ".join(notes[int(i)]) for i in out["id"]]
    out["conflict"] = out["conflict_note"] != ""
    return out


def calendar_frame(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    campaign_id: int | None = None,
    channel_id: int | None = None,
) -> pd.DataFrame:
    """Return the entries in [start, end) with conflicts flagged and local times: the one source of every view.

    Conflicts are judged with a day either side, so a post is flagged the same whichever range shows it.
    """
    padded = entries_frame(
        session, start - timedelta(days=1), end + timedelta(days=1), campaign_id=campaign_id, channel_id=channel_id
    )
    frame = flag_conflicts(padded, all_cadences(session))
    frame = frame[(frame["at"] >= pd.Timestamp(start)) & (frame["at"] < pd.Timestamp(end))].reset_index(drop=True)
    return frame


def _local_dates(frame: pd.DataFrame, zone: ZoneInfo) -> pd.Series:
    return frame["at"].dt.tz_convert(zone).dt.date


def week_grid(frame: pd.DataFrame, start: datetime, zone: ZoneInfo) -> dict[date, pd.DataFrame]:
    """Return the 7 local days from `start` (a local midnight) each with its entries, by time."""
    first = start.astimezone(zone).date()
    days = [first + timedelta(days=k) for k in range(7)]
    local = _local_dates(frame, zone)
    return {d: frame[local == d] for d in days}


def month_grid(frame: pd.DataFrame, start: datetime, zone: ZoneInfo) -> list[list[tuple[date, pd.DataFrame]]]:
    """Return the weeks (Monday first) of the local month starting at `start`, each day with its entries.

    Days of the neighbouring months that fill the first and last weeks carry no entries (they are out of range).
    """
    first = start.astimezone(zone).date().replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    local = _local_dates(frame, zone)
    empty = frame.iloc[0:0]
    day = first - timedelta(days=first.weekday())
    weeks = []
    while day < nxt:
        week = []
        for _ in range(7):
            week.append((day, frame[local == day] if first <= day < nxt else empty))
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def list_view(frame: pd.DataFrame, zone: ZoneInfo) -> pd.DataFrame:
    """Return the entries as a table by time, with the local time in `zone` and in each channel's own zone."""
    out = frame.copy()
    out["local_time"] = out["at"].dt.tz_convert(zone)
    out["channel_time"] = [
        f"{at.tz_convert(z):%a %d %b %H:%M} ({z})" for at, z in zip(out["at"], out["time_zone"], strict=True)
    ]
    return out


def ids_of(view) -> set[int]:
    """Return the entry ids shown by a week grid, month grid or list (to compare views)."""
    if isinstance(view, pd.DataFrame):
        return {int(i) for i in view["id"]}
    if isinstance(view, dict):
        return {int(i) for f in view.values() for i in f["id"]}
    return {int(i) for week in view for _, f in week for i in f["id"]}


def due_soon(session: Session, now: datetime, within: timedelta = timedelta(hours=1)) -> pd.DataFrame:
    """Return the planned (or paused) posts due from now to `within` ahead, by time."""
    frame = entries_frame(session, now, now + within)
    return frame[frame["status"].isin(("planned", "paused"))].reset_index(drop=True)
