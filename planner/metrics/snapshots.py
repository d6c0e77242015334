"""Metric snapshots of published entries: validate, store without ever overwriting history, read histories."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import and_, select, tuple_
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.metrics.kpis import COMPONENT_LABELS, COMPONENTS, engagements
from planner.models import Channel, Draft, MetricSnapshot, ScheduleEntry, utcnow

# Clocks drift: a capture a few minutes "in the future" or "before publication" is a clock, not an error.
CLOCK_SLACK = timedelta(minutes=10)
LOOKUP_BATCH = 500
MAX_COUNT = 2**62
SOURCES = ("manual", "import", "demo")


class SnapshotError(PlannerError):
    """A snapshot's values are invalid or its entry is not a published post; the message names the field."""


class SnapshotConflict(PlannerError):
    """A snapshot exists for the same entry and moment with other values: nothing was replaced."""

    def __init__(self, message: str, conflicts: list[Conflict]):
        super().__init__(message)
        self.conflicts = conflicts


@dataclass
class SnapshotInput:
    """Values to record for one entry at one moment; `row` is where they came from (a file row), if anywhere."""

    entry_id: int
    captured_at: datetime
    values: dict[str, int | None]
    row: int | None = None


@dataclass
class Conflict:
    """Two different sets of values for the same entry and moment."""

    entry_id: int
    captured_at: datetime
    row: int | None
    differences: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)  # field: (stored, new)
    other_row: int | None = None  # the earlier row of the same file, when the clash is inside one file

    def describe(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        against = f"row {self.other_row}" if self.other_row is not None else "the stored snapshot"
        diffs = ", ".join(
            f"{COMPONENT_LABELS[k].lower()} {_show(old)} vs {_show(new)}" for k, (old, new) in self.differences.items()
        )
        return (
            f"{where}entry {self.entry_id} at {self.captured_at:%Y-%m-%d %H:%M:%S} UTC differs from {against} "
            f"({diffs}): history is never overwritten, record it with another capture time"
        )


def _show(value: int | None) -> str:
    return "empty" if value is None else f"{value:,}"


@dataclass
class Plan:
    """What recording a set of snapshots would do."""

    new: list[SnapshotInput] = field(default_factory=list)
    unchanged: list[SnapshotInput] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def clean_values(values: Mapping[str, object]) -> dict[str, int | None]:
    """Return every component as a whole number of 0 or more, or None (not reported); raise SnapshotError."""
    unknown = set(values) - set(COMPONENTS)
    if unknown:
        raise SnapshotError(f"unknown metric(s): {', '.join(sorted(unknown))} (metrics: {', '.join(COMPONENTS)})")
    out: dict[str, int | None] = {}
    for name in COMPONENTS:
        value = values.get(name)
        if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
            out[name] = None
            continue
        try:
            number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise SnapshotError(f"{COMPONENT_LABELS[name].lower()}: {value!r} is not a number") from None
        if number < 0 or number != int(number) or number > MAX_COUNT:
            raise SnapshotError(f"{COMPONENT_LABELS[name].lower()}: {value!r} is not a whole number of 0 or more")
        out[name] = int(number)
    if all(v is None for v in out.values()):
        raise SnapshotError("no metric values: give at least one figure (impressions, reach, likes, ...)")
    return out


def check_moment(entry: ScheduleEntry, captured_at: datetime, now: datetime | None = None) -> str | None:
    """Return why `captured_at` cannot be a snapshot time of `entry`, or None when it can."""
    if captured_at.tzinfo is None:
        return "captured at: give a time with its zone (UTC inside Counterpoint)"
    now = now or utcnow()
    if captured_at > now + CLOCK_SLACK:
        return f"captured at: {captured_at:%Y-%m-%d %H:%M} UTC is in the future"
    if entry.published_at is not None and captured_at < entry.published_at - CLOCK_SLACK:
        return (
            f"captured at: {captured_at:%Y-%m-%d %H:%M} UTC is before the post was published "
            f"({entry.published_at:%Y-%m-%d %H:%M} UTC)"
        )
    return None


def published_entry(session: Session, entry_id: int) -> ScheduleEntry:
    """Return the published entry `entry_id`; raise SnapshotError when there is none or it is not published."""
    entry = session.get(ScheduleEntry, entry_id)
    if entry is None:
        raise SnapshotError(f"no scheduled post with id {entry_id}")
    if entry.status != "published":
        raise SnapshotError(
            f"scheduled post {entry_id} is {entry.status}, not published: metrics need a published post"
        )
    return entry


def plan(session: Session, inputs: Iterable[SnapshotInput]) -> Plan:
    """Sort `inputs` into new snapshots, ones already stored with the same values, and conflicts."""
    out = Plan()
    seen: dict[tuple[int, datetime], SnapshotInput] = {}
    todo = []
    for item in inputs:
        key = (item.entry_id, item.captured_at)
        if key in seen:
            diff = _differences(seen[key].values, item.values)
            if diff:
                out.conflicts.append(Conflict(item.entry_id, item.captured_at, item.row, diff, seen[key].row))
            else:
                out.unchanged.append(item)
            continue
        seen[key] = item
        todo.append(item)
    for start in range(0, len(todo), LOOKUP_BATCH):
        part = todo[start : start + LOOKUP_BATCH]
        stored = {
            (s.entry_id, s.captured_at): s
            for s in session.scalars(
                select(MetricSnapshot).where(
                    tuple_(MetricSnapshot.entry_id, MetricSnapshot.captured_at).in_(
                        [(i.entry_id, i.captured_at) for i in part]
                    )
                )
            )
        }
        for item in part:
            existing = stored.get((item.entry_id, item.captured_at))
            if existing is None:
                out.new.append(item)
                continue
            diff = _differences({c: getattr(existing, c) for c in COMPONENTS}, item.values)
            if diff:
                out.conflicts.append(Conflict(item.entry_id, item.captured_at, item.row, diff))
            else:
                out.unchanged.append(item)
    return out


def _differences(old: Mapping[str, int | None], new: Mapping[str, int | None]) -> dict:
    return {c: (old.get(c), new.get(c)) for c in COMPONENTS if old.get(c) != new.get(c)}


def write(
    session: Session, actor: Actor, items: Iterable[SnapshotInput], source: str, import_id: int | None = None
) -> int:
    """Add new snapshots to the session's transaction (the caller commits); return how many."""
    rows = [
        {
            "entry_id": i.entry_id,
            "captured_at": i.captured_at,
            **{c: i.values.get(c) for c in COMPONENTS},
            "source": source,
            "import_id": import_id,
            "recorded_by": actor.user_id,
            "recorded_at": utcnow(),
            "note": "",
        }
        for i in items
    ]
    if rows:
        session.execute(MetricSnapshot.__table__.insert(), rows)
    return len(rows)


def record_snapshot(
    session: Session,
    actor: Actor,
    entry_id: int,
    captured_at: datetime,
    values: Mapping[str, object],
    note: str = "",
) -> MetricSnapshot:
    """Record one entry's figures at `captured_at` (manual entry); return the stored snapshot.

    The same figures at the same moment return the stored snapshot unchanged. Raises SnapshotConflict when other
    figures are stored for that moment, SnapshotError for bad values or an unpublished entry, PermissionDenied.
    """
    require(actor, Action.RECORD_METRICS)
    clean = clean_values(values)
    with atomic(session):
        entry = published_entry(session, entry_id)
        problem = check_moment(entry, captured_at)
        if problem:
            raise SnapshotError(problem)
        result = plan(session, [SnapshotInput(entry_id, captured_at, clean)])
        if result.conflicts:
            raise SnapshotConflict(result.conflicts[0].describe(), result.conflicts)
        stored = session.scalar(
            select(MetricSnapshot).where(
                and_(MetricSnapshot.entry_id == entry_id, MetricSnapshot.captured_at == captured_at)
            )
        )
        if stored is not None:
            return stored
        snap = MetricSnapshot(
            entry_id=entry_id,
            captured_at=captured_at,
            source="manual",
            recorded_by=actor.user_id,
            note=(note or "").strip(),
            **clean,
        )
        session.add(snap)
        session.flush()
        figures = ", ".join(f"{COMPONENT_LABELS[k].lower()} {v:,}" for k, v in clean.items() if v is not None)
        audit.record(
            session,
            actor,
            "metrics.record",
            "schedule_entry",
            entry_id,
            f"snapshot at {captured_at:%Y-%m-%d %H:%M} UTC: {figures}",
        )
    return snap


HISTORY_COLUMNS = ["captured_at", *COMPONENTS, "engagements", "source"]


def history(session: Session, entry_id: int) -> pd.DataFrame:
    """Return every snapshot of one entry, oldest first, with engagements added."""
    rows = session.execute(
        select(MetricSnapshot.captured_at, *[getattr(MetricSnapshot, c) for c in COMPONENTS], MetricSnapshot.source)
        .where(MetricSnapshot.entry_id == entry_id)
        .order_by(MetricSnapshot.captured_at)
    ).all()
    frame = pd.DataFrame(rows, columns=["captured_at", *COMPONENTS, "source"])
    frame.insert(len(COMPONENTS) + 1, "engagements", [engagements(r) for r in frame.to_dict("records")])
    return frame[HISTORY_COLUMNS]


def entry_label(title: str, platform: str, handle: str, published_at: datetime | None) -> str:
    """Return how people name a published post: its draft's title, channel and day."""
    day = f"{published_at:%Y-%m-%d}" if published_at else "not published"
    return f"{title} · {platform} {handle} · {day}"


def published_entries(session: Session, campaign_id: int | None = None, limit: int = 500) -> list[tuple[int, str]]:
    """Return (entry id, label) of the newest published entries, optionally of one campaign."""
    stmt = (
        select(ScheduleEntry.id, Draft.title, Channel.platform, Channel.handle, ScheduleEntry.published_at)
        .join(Draft, Draft.id == ScheduleEntry.draft_id)
        .join(Channel, Channel.id == ScheduleEntry.channel_id)
        .where(ScheduleEntry.status == "published")
        .order_by(ScheduleEntry.published_at.desc(), ScheduleEntry.id.desc())
        .limit(limit)
    )
    if campaign_id is not None:
        stmt = stmt.where(Draft.campaign_id == campaign_id)
    return [(r[0], entry_label(*r[1:])) for r in session.execute(stmt)]
