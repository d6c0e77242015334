"""Per-channel cadence rules (posts per local day, minimum gap, allowed hours, blackout dates) and their slots."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.models import CadenceRule, Campaign, CampaignChannel, Channel, utcnow
from planner.schedule import ScheduleError

DEFAULT_POSTS_PER_DAY = 3
DEFAULT_MIN_GAP_MINUTES = 120
SLOT = timedelta(hours=1)


@dataclass(frozen=True)
class Cadence:
    """How often one channel may post. Hours and dates are local to `time_zone`; empty allowed_hours = any hour."""

    channel_id: int
    time_zone: str = "UTC"
    posts_per_day: int = DEFAULT_POSTS_PER_DAY
    min_gap_minutes: int = DEFAULT_MIN_GAP_MINUTES
    allowed_hours: tuple[int, ...] = ()
    blackout_dates: tuple[date, ...] = field(default=())

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local_day(self, at: datetime) -> date:
        """Return the local calendar date of the UTC moment `at`."""
        return at.astimezone(self.zone).date()

    def allows(self, at: datetime) -> bool:
        """Return True when `at` is in an allowed local hour and not on a blackout date."""
        local = at.astimezone(self.zone)
        if self.allowed_hours and local.hour not in self.allowed_hours:
            return False
        return local.date() not in self.blackout_dates

    def describe(self) -> str:
        hours = ", ".join(f"{h:02d}h" for h in self.allowed_hours) if self.allowed_hours else "any hour"
        return f"at most {self.posts_per_day} a day, {self.min_gap_minutes} min apart, {hours} ({self.time_zone})" + (
            f", {len(self.blackout_dates)} blackout date(s)" if self.blackout_dates else ""
        )


def check_zone(zone: str) -> str:
    """Return `zone` if it is a known IANA time zone; raise ScheduleError otherwise."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"time zone: {zone!r} is not a known IANA time zone name (e.g. Europe/London)") from exc
    return zone


def make_cadence(
    channel_id: int,
    *,
    time_zone: str = "UTC",
    posts_per_day: int = DEFAULT_POSTS_PER_DAY,
    min_gap_minutes: int = DEFAULT_MIN_GAP_MINUTES,
    allowed_hours: Iterable[int] = (),
    blackout_dates: Iterable[date | str] = (),
) -> Cadence:
    """Return a validated Cadence; raise ScheduleError naming the bad field."""
    check_zone(time_zone)
    if not 1 <= int(posts_per_day) <= 48:
        raise ScheduleError("posts per day: use a number from 1 to 48")
    if not 0 <= int(min_gap_minutes) <= 24 * 60:
        raise ScheduleError("minimum gap: use 0 to 1440 minutes")
    hours = sorted({int(h) for h in allowed_hours})
    if any(not 0 <= h <= 23 for h in hours):
        raise ScheduleError("allowed hours: use local hours from 0 to 23")
    dates = []
    for d in blackout_dates:
        try:
            dates.append(d if isinstance(d, date) else date.fromisoformat(str(d).strip()))
        except ValueError as exc:
            raise ScheduleError(f"blackout dates: {d!r} is not a date (YYYY-MM-DD)") from exc
    return Cadence(
        channel_id=int(channel_id),
        time_zone=time_zone,
        posts_per_day=int(posts_per_day),
        min_gap_minutes=int(min_gap_minutes),
        allowed_hours=tuple(hours),
        blackout_dates=tuple(sorted(set(dates))),
    )


def _default_zone(session: Session, channel_id: int) -> str:
    """The audience zone of the first campaign using the channel, else UTC."""
    zone = session.scalar(
        select(Campaign.audience_time_zone)
        .join(CampaignChannel, CampaignChannel.campaign_id == Campaign.id)
        .where(CampaignChannel.channel_id == channel_id)
        .order_by(Campaign.id)
        .limit(1)
    )
    return zone or "UTC"


def _from_row(row: CadenceRule) -> Cadence:
    return make_cadence(
        row.channel_id,
        time_zone=row.time_zone,
        posts_per_day=row.posts_per_day,
        min_gap_minutes=row.min_gap_minutes,
        allowed_hours=json.loads(row.allowed_hours or "[]"),
        blackout_dates=json.loads(row.blackout_dates or "[]"),
    )


def cadence_for(session: Session, channel_id: int) -> Cadence:
    """Return the channel's cadence rule, or the defaults in its first campaign's audience zone."""
    row = session.get(CadenceRule, channel_id)
    if row is not None:
        return _from_row(row)
    return make_cadence(channel_id, time_zone=_default_zone(session, channel_id))


def all_cadences(session: Session) -> dict[int, Cadence]:
    """Return the cadence of every channel, by channel id."""
    ids = session.scalars(select(Channel.id).order_by(Channel.id)).all()
    return {cid: cadence_for(session, cid) for cid in ids}


def set_cadence(session: Session, actor: Actor, channel_id: int, **rule) -> Cadence:
    """Save a channel's cadence rule (keys as make_cadence); return it. Raises ScheduleError, PermissionDenied."""
    require(actor, Action.SCHEDULE)
    channel = session.get(Channel, int(channel_id))
    if channel is None:
        raise ScheduleError(f"channel: no channel with id {channel_id}")
    cad = make_cadence(channel.id, **rule)
    with atomic(session):
        row = session.get(CadenceRule, channel.id) or CadenceRule(channel_id=channel.id)
        before = _from_row(row).describe() if row.time_zone else "defaults"
        row.time_zone = cad.time_zone
        row.posts_per_day = cad.posts_per_day
        row.min_gap_minutes = cad.min_gap_minutes
        row.allowed_hours = json.dumps(list(cad.allowed_hours))
        row.blackout_dates = json.dumps([d.isoformat() for d in cad.blackout_dates])
        row.updated_by = actor.user_id
        row.updated_at = utcnow()
        session.add(row)
        audit.record(
            session,
            actor,
            "schedule.cadence",
            "channel",
            channel.id,
            f"{channel.platform} {channel.handle}: {before} -> {cad.describe()}",
        )
    return cad


def floor_hour(at: datetime) -> datetime:
    """Return `at` (made UTC) floored to the whole hour."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def slots(cadence: Cadence, start: datetime, end: datetime) -> list[datetime]:
    """Return the hourly UTC slots in [start, end) the cadence allows (DST-safe: stepping in UTC, judged locally)."""
    first = floor_hour(start)
    if first < start:
        first += SLOT
    out = []
    at = first
    while at < end:
        if cadence.allows(at):
            out.append(at)
        at += SLOT
    return out


def violations(cadence: Cadence, times: Sequence[datetime]) -> list[str]:
    """Return every way the posting times break the cadence (empty when they respect it)."""
    out = []
    ordered = sorted(times)
    for at in ordered:
        if not cadence.allows(at):
            local = at.astimezone(cadence.zone)
            out.append(f"{local:%Y-%m-%d %H:%M} {cadence.time_zone} is outside the allowed hours or on a blackout date")
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b - a < timedelta(minutes=cadence.min_gap_minutes):
            out.append(f"{a:%Y-%m-%d %H:%M} and {b:%H:%M} UTC are less than {cadence.min_gap_minutes} min apart")
    for day, n in sorted(Counter(cadence.local_day(t) for t in ordered).items()):
        if n > cadence.posts_per_day:
            out.append(f"{day}: {n} posts, more than {cadence.posts_per_day} a day")
    return out
