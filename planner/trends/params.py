"""Detection parameters and their defaults, bucket lengths, and the trend errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

import pandas as pd

from planner.errors import PlannerError

KEY_KINDS = ("hashtag", "term", "url", "domain")
KINDS = (*KEY_KINDS, "narrative")
STATUSES = ("new", "watching", "respond", "ignored")
LIFECYCLES = ("emerging", "peaking", "declining", "dormant")
MIN_BUCKET = pd.Timedelta(minutes=5)
MAX_BUCKET = pd.Timedelta(days=1)

Progress = Callable[[float, str], None]


class TrendError(PlannerError):
    """Detection parameters or a triage request are invalid, or the trend does not exist."""


@dataclass(frozen=True)
class DetectionParams:
    """Parameters of the count model and its guards; defaults suit hourly buckets (see docs/trends.md)."""

    bucket: pd.Timedelta = pd.Timedelta(hours=1)
    kinds: tuple[str, ...] = KINDS
    baseline_buckets: int = 24  # the key's own recent past that its expected count is learnt from
    prior_buckets: float = 24.0  # weight of the prior rate, in buckets of history it is worth
    min_rate: float = 0.5  # floor of the prior rate (posts per bucket) for keys never seen before
    fdr: float = 0.01  # Benjamini-Hochberg false discovery rate over every (key, bucket) cell tested
    min_count: int = 10  # posts in one bucket
    min_ratio: float = 3.0  # and at least this many times (expected + 1): busy keys' ordinary swings are no trend
    min_authors: int = 5  # distinct accounts in that bucket, so one noisy account is not a trend
    fold_overlap: float = 0.5  # keys whose posts around the peak overlap this much fold into one trend
    recent_buckets: int = 3  # the "now" window the lifecycle and growth look at
    burst_s: float = 2.0
    burst_gamma: float = 1.0

    def as_json(self) -> str:
        d = asdict(self)
        d["bucket"] = bucket_label(self.bucket)
        return json.dumps(d)

    def check(self) -> None:
        """Raise TrendError when a parameter is out of range."""
        if self.baseline_buckets < 1 or self.min_count < 1 or self.min_authors < 1:
            raise TrendError("baseline_buckets, min_count and min_authors must be at least 1")
        if not 0 < self.fdr < 1:
            raise TrendError(f"fdr: {self.fdr} must be between 0 and 1")
        if self.prior_buckets <= 0 or self.min_rate <= 0:
            raise TrendError("prior_buckets and min_rate must be above 0")
        if not 0 < self.fold_overlap <= 1:
            raise TrendError(f"fold_overlap: {self.fold_overlap} must be above 0 and at most 1")


_BUCKET_RE = re.compile(r"^(\d+)\s*(s|sec|m|min|mins|minutes?|h|hours?|d|days?)$")
_BUCKET_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60}
_BUCKET_UNITS |= {"h": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400}


def parse_bucket(text: str | pd.Timedelta) -> pd.Timedelta:
    """Return the bucket length for '5min', '15m', '1h', '1d' ...; raise TrendError outside 5 minutes..1 day."""
    if isinstance(text, pd.Timedelta):
        value = text
    else:
        match = _BUCKET_RE.match(str(text).strip().lower())
        if not match:
            raise TrendError(f"bucket: {text!r} is not a duration such as 5min, 1h or 1d")
        value = pd.Timedelta(seconds=int(match.group(1)) * _BUCKET_UNITS[match.group(2)])
    if not MIN_BUCKET <= value <= MAX_BUCKET:
        raise TrendError(f"bucket: {text!s} is outside 5 minutes to 1 day")
    return value


def bucket_label(bucket: pd.Timedelta) -> str:
    """Return '1h', '15min' or '1d' for a bucket length."""
    seconds = int(bucket.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}min"
