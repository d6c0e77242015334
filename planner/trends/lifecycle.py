"""Where a trend stands (emerging, peaking, declining, dormant) as of a stated clock: now, the newest post or a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

import numpy as np
import pandas as pd

from planner import wording
from planner.models import utcnow
from planner.trends.params import TrendError

CLOCKS = ("now", "newest post", "chosen time")
# Newest post at most this old: the data is taken as live and the clock is now.
LIVE_WITHIN = pd.Timedelta(hours=24)
# A last bucket less than this full is left out of "now" (too little of it has happened to compare).
MIN_PARTIAL = 0.25


_WHY = {"now": "now: live monitoring", "newest post": "the newest monitored post", "chosen time": "a chosen time"}


@dataclass(frozen=True)
class Clock:
    """The time lifecycle is computed at, and why that time."""

    as_of: pd.Timestamp
    kind: str  # one of CLOCKS

    def describe(self, zone: tzinfo | None = None) -> str:
        """Return e.g. 'as of Sun 15 Nov 2026, 00:00 UTC (the newest monitored post)'."""
        when = self.as_of.tz_convert(zone) if zone is not None else self.as_of
        why = {
            "now": "now: live monitoring",
            "newest post": "the newest monitored post",
            "chosen time": "a chosen time",
        }
        return f"as of {wording.when(when, when.tzinfo or 'UTC')} ({why[self.kind]})"


def resolve_clock(
    newest_post: pd.Timestamp | None,
    bucket: pd.Timedelta,
    as_of: datetime | str | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> Clock:
    """Return the clock: a given time; 'now'; 'newest'; or (None) now when the newest post is recent, else it.

    The newest-post clock stands at the end of that post's bucket, so its bucket counts as complete.
    Raises TrendError for a naive time or an unknown word.
    """
    current = pd.Timestamp(now or utcnow())
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None:
            raise TrendError("as of: give a time zone (e.g. 2026-11-10T18:00Z)")
        return Clock(pd.Timestamp(as_of).tz_convert("UTC"), "chosen time")
    if as_of not in (None, "now", "newest"):
        raise TrendError(f"as of: {as_of!r} is not a time, 'now' or 'newest'")
    newest_end = None if newest_post is None else pd.Timestamp(newest_post).floor(bucket) + bucket
    if until is not None and newest_end is not None:
        newest_end = min(newest_end, pd.Timestamp(until))
    live = newest_post is None or current - pd.Timestamp(newest_post) <= LIVE_WITHIN
    if until is not None and pd.Timestamp(until) < current:
        live = False
    if as_of == "now" or (as_of is None and live) or newest_end is None:
        return Clock(current.tz_convert("UTC"), "now")
    return Clock(newest_end.tz_convert("UTC"), "newest post")


def recent_counts(counts: np.ndarray, last_fraction: float) -> np.ndarray:
    """Return counts with a partial last bucket scaled up to a full one, or left out when under MIN_PARTIAL."""
    counts = np.asarray(counts, dtype=np.float64)
    if last_fraction >= 1.0 or not counts.shape[-1]:
        return counts
    if last_fraction < MIN_PARTIAL:
        return counts[..., :-1]
    out = counts.copy()
    out[..., -1] = out[..., -1] / last_fraction
    return out


# Days of the same hours a series needs before its usual level at those hours counts (see usual_level).
MIN_DAYS = 3


def usual_level(counts: np.ndarray, recent: int, period: int) -> float:
    """Return the usual volume of the last `recent` buckets' time of day: the median, over the earlier days, of the
    mean of the same buckets `period` (one day of buckets) apart; 0.0 with fewer than MIN_DAYS such days.

    A median of days: one day's burst does not move it, so a tag back to its ordinary evening chatter reads as back
    to usual, not as still declining because evenings are busier than the day's average.
    """
    end = len(counts) - 1
    days = np.arange(1, (end - recent + 1) // period + 1) if period > 0 else np.zeros(0, np.int64)
    if len(days) < MIN_DAYS:
        return 0.0
    at = end - days[:, None] * period - np.arange(recent)[None, :]
    return float(np.median(counts[at].mean(axis=1)))


def classify_lifecycle(
    counts: np.ndarray,
    detected: int,
    peak: int,
    recent: int,
    min_count: int,
    quiet_level: float = 0.0,
    period: int = 0,
) -> tuple[str, float]:
    """Return (lifecycle stage, growth) of one series at its last bucket (the clock).

    growth is the relative change of the last `recent` buckets over the `recent` before them. A trend whose recent
    volume is back to `quiet_level` (its expected count before the trend plus noise), or, given `period` (buckets
    per day), back to its usual volume at this time of day plus noise, is dormant.
    """
    counts = np.asarray(counts, dtype=np.float64)
    end = len(counts) - 1
    usual = usual_level(counts, recent, period)
    if usual > 0:
        quiet_level = max(quiet_level, usual + 2 * np.sqrt(usual) + 1)
    now = float(counts[max(0, end - recent + 1) :].mean())
    before_slice = counts[max(0, end - 2 * recent + 1) : max(0, end - recent + 1)]
    before = float(before_slice.mean()) if len(before_slice) else 0.0
    growth = (now - before) / max(before, 1.0)
    peak_volume = float(counts[min(peak, end)])
    if peak > end - recent:
        return ("emerging" if growth > 0.25 or detected > end - recent else "peaking"), growth
    if now >= 0.8 * peak_volume:
        return "peaking", growth
    if now <= quiet_level or (now < min_count and now <= 0.2 * peak_volume):
        return "dormant", growth
    return "declining", growth
