"""Response windows of trends marked "respond", slot scoring (audience, lifecycle, own best hours) and suggestions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import audit, workspace
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.models import Campaign, CampaignTrend, Trend, utcnow
from planner.schedule import ScheduleError

WINDOW_SETTING = "response_window_hours"
DEFAULT_WINDOW_HOURS = 48
# A trend's own posts make an hour-of-week profile only when there are at least this many of them.
MIN_PROFILE_POSTS = 20
# Activity of an hour outside the audience's active hours, relative to 1.0 inside them.
QUIET_ACTIVITY = 0.25
# How fast the value of answering decays after detection, by lifecycle (hours): an emerging trend is most urgent.
URGENCY_HALF_LIFE = {"emerging": 12.0, "peaking": 18.0, "declining": 36.0, "dormant": 72.0}
URGENCY_BOOST = {"emerging": 1.0, "peaking": 0.7, "declining": 0.3, "dormant": 0.1}
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hour_of_week(at: datetime) -> int:
    """Return the UTC hour of the week of `at`: 0 is Monday 00:00-00:59 UTC, 167 is Sunday 23:00 UTC."""
    at = at.astimezone(UTC)
    return at.weekday() * 24 + at.hour


def window_hours(session: Session) -> int:
    """Return the workspace's response-window length in hours (default 48)."""
    value = workspace.get_setting(session, WINDOW_SETTING)
    return int(value) if value and value.isdigit() else DEFAULT_WINDOW_HOURS


def set_window_hours(session: Session, actor: Actor, hours: int) -> int:
    """Set how long after detection a trend marked "respond" may be answered; raise ScheduleError if out of range."""
    require(actor, Action.SCHEDULE)
    hours = int(hours)
    if not 1 <= hours <= 24 * 14:
        raise ScheduleError("response window: use 1 to 336 hours")
    with atomic(session):
        before = window_hours(session)
        workspace.set_setting(session, WINDOW_SETTING, str(hours))
        audit.record(session, actor, "schedule.window", "workspace", WINDOW_SETTING, f"{before} h -> {hours} h")
    return hours


@dataclass(frozen=True)
class Window:
    """When a trend may be answered: from its detection to the deadline (UTC)."""

    trend_id: int
    key: str
    lifecycle: str
    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def is_open(self, now: datetime) -> bool:
        return now < self.end


def response_window(session: Session, trend: Trend | int) -> Window:
    """Return the response window of a trend marked "respond"; raise ScheduleError for any other status."""
    if not isinstance(trend, Trend):
        found = session.get(Trend, int(trend))
        if found is None:
            raise ScheduleError(f"trend: no trend with id {trend}")
        trend = found
    if trend.status != "respond":
        raise ScheduleError(
            f"trend {trend.key!r} is marked {trend.status!r}: mark it 'respond' on the Trends page to open a response "
            "window"
        )
    end = trend.detected_at + timedelta(hours=window_hours(session))
    return Window(trend.id, trend.key, trend.lifecycle, trend.detected_at, end)


def open_windows(session: Session, now: datetime | None = None) -> list[Window]:
    """Return the response windows of trends marked "respond" still open at `now`, closing soonest first."""
    now = now or utcnow()
    found = [response_window(session, t) for t in session.scalars(select(Trend).where(Trend.status == "respond"))]
    return sorted((w for w in found if w.is_open(now)), key=lambda w: (w.end, w.trend_id))


def trend_profile(trend: Trend) -> np.ndarray | None:
    """Return the trend's own posts per UTC hour of week (168 values), or None with too few posts to tell."""
    counts = np.asarray(json.loads(trend.series or "[]"), dtype=float)
    if counts.sum() < MIN_PROFILE_POSTS or trend.series_start is None:
        return None
    step = timedelta(seconds=trend.bucket_seconds or 3600)
    profile = np.zeros(168)
    starts = [trend.series_start + i * step for i in range(len(counts))]
    np.add.at(profile, [hour_of_week(s) for s in starts], counts)
    return profile


@lru_cache(maxsize=64)
def _features(times: tuple[datetime, ...], zone: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return epoch seconds, UTC hour of week and local hour in `zone` of each moment (cached per slot list)."""
    tz = ZoneInfo(zone)
    epoch = np.array([t.timestamp() for t in times], dtype=float)
    how = np.array([hour_of_week(t) for t in times], dtype=np.int64)
    local = np.array([t.astimezone(tz).hour for t in times], dtype=np.int64)
    return epoch, how, local


@dataclass(frozen=True)
class Audience:
    """Who the post is for: their time zone and local active hours (empty = unknown)."""

    name: str = ""
    time_zone: str = "UTC"
    active_hours: tuple[int, ...] = ()


def audience_of(campaign: Campaign | None, fallback_zone: str = "UTC") -> Audience:
    """Return a campaign's audience, or an unknown audience in `fallback_zone`."""
    if campaign is None:
        return Audience(time_zone=fallback_zone)
    hours = tuple(int(h) for h in json.loads(campaign.audience_active_hours or "[]"))
    return Audience(campaign.audience or "", campaign.audience_time_zone or fallback_zone, hours)


def trend_audience(session: Session, trend_id: int, fallback_zone: str = "UTC") -> Audience:
    """Return the audience of the first campaign answering the trend (or an unknown one)."""
    camp = session.scalar(
        select(Campaign)
        .join(CampaignTrend, CampaignTrend.campaign_id == Campaign.id)
        .where(CampaignTrend.trend_id == trend_id)
        .order_by(Campaign.id)
        .limit(1)
    )
    return audience_of(camp, fallback_zone)


@dataclass
class Scorer:
    """Scores posting moments for one post: audience activity x trend urgency x the channel's own best hours.

    `best_hours` maps UTC hour of week (see hour_of_week) to the channel's relative reach (any positive scale),
    e.g. from the last 16 weeks of its own metrics; it is optional.
    """

    audience: Audience
    profile: np.ndarray | None = None
    window: Window | None = None
    best_hours: Mapping[int, float] | None = None
    weight: float = 1.0

    def __post_init__(self) -> None:
        self._zone = ZoneInfo(self.audience.time_zone)
        self._profile = None if self.profile is None else self.profile / max(float(self.profile.max()), 1e-9)
        if self.best_hours:
            top = max(self.best_hours.values()) or 1.0
            self._best = {int(k): float(v) / top for k, v in self.best_hours.items()}
        else:
            self._best = None

    def eligible(self, at: datetime) -> bool:
        return self.window is None or self.window.contains(at)

    def _activity(self, at: datetime) -> float:
        if self._profile is not None:
            return QUIET_ACTIVITY + (1 - QUIET_ACTIVITY) * float(self._profile[hour_of_week(at)])
        if self.audience.active_hours:
            return 1.0 if at.astimezone(self._zone).hour in self.audience.active_hours else QUIET_ACTIVITY
        return 0.5

    def _urgency(self, at: datetime) -> float:
        if self.window is None:
            return 1.0
        life = self.window.lifecycle if self.window.lifecycle in URGENCY_BOOST else "declining"
        age = max((at - self.window.start).total_seconds() / 3600, 0.0)
        return 1.0 + URGENCY_BOOST[life] * 0.5 ** (age / URGENCY_HALF_LIFE[life])

    def _own(self, at: datetime) -> float:
        if self._best is None:
            return 1.0
        return 0.5 + 0.5 * self._best.get(hour_of_week(at), 0.0)

    def score(self, at: datetime) -> float:
        """Return the value of posting at `at` (0 when outside the response window)."""
        if not self.eligible(at):
            return 0.0
        return self.weight * self._activity(at) * self._urgency(at) * self._own(at)

    def scores(self, times: Sequence[datetime]) -> np.ndarray:
        """Return score() for many moments at once (vectorised; the same values)."""
        epoch, how, local_hour = _features(tuple(times), self.audience.time_zone)
        if self._profile is not None:
            activity = QUIET_ACTIVITY + (1 - QUIET_ACTIVITY) * self._profile[how]
        elif self.audience.active_hours:
            activity = np.where(np.isin(local_hour, self.audience.active_hours), 1.0, QUIET_ACTIVITY)
        else:
            activity = np.full(len(epoch), 0.5)
        urgency = np.ones(len(epoch))
        eligible = np.ones(len(epoch), dtype=bool)
        if self.window is not None:
            life = self.window.lifecycle if self.window.lifecycle in URGENCY_BOOST else "declining"
            age = np.maximum((epoch - self.window.start.timestamp()) / 3600, 0.0)
            urgency = 1.0 + URGENCY_BOOST[life] * 0.5 ** (age / URGENCY_HALF_LIFE[life])
            eligible = (epoch >= self.window.start.timestamp()) & (epoch < self.window.end.timestamp())
        own = np.ones(len(epoch))
        if self._best is not None:
            table = np.array([self._best.get(h, 0.0) for h in range(168)])
            own = 0.5 + 0.5 * table[how]
        return np.where(eligible, self.weight * activity * urgency * own, 0.0)

    def why(self, at: datetime, zone: ZoneInfo | None = None) -> str:
        """Return one line saying why `at` is a good (or poor) moment."""
        zone = zone or self._zone
        local = at.astimezone(zone)
        parts = [f"{DAY_NAMES[local.weekday()]} {local:%H:%M} {zone.key}"]
        if self._profile is not None:
            share = self._profile[hour_of_week(at)]
            if share > 0:
                parts.append(f"the trend's own posts peak at {share:.0%} of their busiest hour")
            else:
                parts.append("the trend's own accounts have not posted at this hour of the week")
        elif self.audience.active_hours:
            inside = at.astimezone(self._zone).hour in self.audience.active_hours
            who = self.audience.name or "the audience"
            parts.append(f"{who} {'is' if inside else 'is not'} usually online then")
        else:
            parts.append("no audience hours known")
        if self.window is not None:
            age = (at - self.window.start).total_seconds() / 3600
            left = (self.window.end - at).total_seconds() / 3600
            parts.append(f"{self.window.lifecycle} trend, {age:.0f} h after detection, {left:.0f} h left to respond")
        if self._best is not None:
            parts.append(f"channel's own reach at this hour {self._best.get(hour_of_week(at), 0.0):.0%} of its best")
        return "; ".join(parts)


@dataclass(frozen=True)
class Suggestion:
    at: datetime
    score: float
    why: str


def suggest_slots(
    session: Session,
    trend_id: int,
    channel_id: int,
    *,
    now: datetime | None = None,
    limit: int = 5,
    best_hours: Mapping[int, float] | None = None,
) -> list[Suggestion]:
    """Return the best free slots on a channel to answer a "respond" trend inside its window, best first.

    Slots respect the channel's cadence, its existing posts and active pauses. Raises ScheduleError.
    """
    from planner.schedule import cadence as cadence_mod
    from planner.schedule import entries as entries_mod

    trend = session.get(Trend, int(trend_id))
    if trend is None:
        raise ScheduleError(f"trend: no trend with id {trend_id}")
    window = response_window(session, trend)
    now = now or utcnow()
    if not window.is_open(now):
        raise ScheduleError(f"the response window of {trend.key} closed at {window.end:%Y-%m-%d %H:%M} UTC")
    cad = cadence_mod.cadence_for(session, int(channel_id))
    candidates = cadence_mod.slots(cad, max(window.start, now), window.end)
    if best_hours is None:
        # Once reach metrics exist, the channel's own best hours (last 16 weeks of results) count in the score.
        from planner.metrics import besttime

        best_hours = besttime.best_hours(session, int(channel_id), now) or None
    free = entries_mod.free_slots(session, cad, candidates)
    scorer = Scorer(trend_audience(session, trend.id, cad.time_zone), trend_profile(trend), window, best_hours)
    scored = sorted(((scorer.score(t), t) for t in free), key=lambda p: (-p[0], p[1]))
    zone = ZoneInfo(cad.time_zone)
    return [Suggestion(t, s, scorer.why(t, zone)) for s, t in scored[:limit] if s > 0]
