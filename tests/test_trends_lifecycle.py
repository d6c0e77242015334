"""Lifecycle: the stage of a trend as of a stated clock (now, the newest post, or a chosen time)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from planner.trends import lifecycle
from planner.trends.params import TrendError

HOUR = pd.Timedelta(hours=1)
NOW = pd.Timestamp("2026-12-02T14:20Z")


@pytest.mark.parametrize(
    ("series", "detected", "peak", "stage"),
    [
        ([0, 0, 5, 20, 60], 3, 4, "emerging"),
        ([0, 0, 50, 55, 52, 50], 2, 3, "peaking"),
        ([0, 80, 60, 40, 30, 30], 1, 1, "declining"),
        ([0, 80, 10, 2, 1, 0, 0], 1, 1, "dormant"),
    ],
)
def test_lifecycle(series, detected, peak, stage):
    assert lifecycle.classify_lifecycle(np.array(series), detected, peak, 2, 10)[0] == stage


def _festival_week(hours: int = 7 * 24) -> np.ndarray:
    """Hourly counts of an ordinary tag: 10 an hour by day, 30 in the evening (18-21 h), a festival of 150 an hour
    on day 2 at 12-18 h; the series ends at 21:00, in the evening."""
    hour = np.arange(hours) % 24
    counts = np.where((hour >= 18) & (hour < 21), 30.0, 10.0)
    counts[2 * 24 + 12 : 2 * 24 + 18] = 150
    return counts[: hours - 3]  # ends after the 20:00 bucket


def test_back_to_its_usual_evening_chatter_is_dormant_not_declining():
    counts = _festival_week()
    detected = peak = 2 * 24 + 12
    # Against the pre-festival expectation only (10 an hour plus noise), busy evenings look like a trend still
    # declining; against the usual volume at these hours on the other days it is back to normal.
    quiet = 10 + 2 * np.sqrt(10) + 1
    assert lifecycle.classify_lifecycle(counts, detected, peak, 3, 10, quiet)[0] == "declining"
    assert lifecycle.classify_lifecycle(counts, detected, peak, 3, 10, quiet, period=24)[0] == "dormant"
    assert lifecycle.usual_level(counts, 3, 24) == 30.0


def test_usual_level_ignores_one_burst_day_and_needs_three_days():
    counts = _festival_week()
    counts[-24 - 3 : -24] = 500  # the same evening hours yesterday: a burst, outvoted by the other days
    assert lifecycle.usual_level(counts, 3, 24) == 30.0
    assert lifecycle.usual_level(counts[-(3 * 24 + 2) :], 3, 24) == 0.0  # two earlier days only
    assert lifecycle.usual_level(counts, 3, 0) == 0.0  # no period: buckets that do not divide a day
    # A trend still far above its usual evening volume stays declining.
    still_up = _festival_week()
    still_up[-3:] = 80  # under 0.8 of the 150 peak, far over the usual 30
    assert lifecycle.classify_lifecycle(still_up, 60, 60, 3, 10, 17.3, period=24)[0] == "declining"


def test_recent_data_means_the_clock_is_now():
    clock = lifecycle.resolve_clock(NOW - pd.Timedelta(minutes=5), HOUR, now=NOW.to_pydatetime())
    assert clock == lifecycle.Clock(NOW, "now")
    assert "(now: live monitoring)" in clock.describe()


def test_historical_import_uses_the_end_of_the_newest_posts_bucket():
    clock = lifecycle.resolve_clock(pd.Timestamp("2015-03-27T20:17Z"), HOUR, now=NOW.to_pydatetime())
    assert clock == lifecycle.Clock(pd.Timestamp("2015-03-27T21:00Z"), "newest post")
    assert clock.describe() == "as of Fri 27 Mar 2015, 21:00 UTC (the newest monitored post)"
    # 'now' can be asked for explicitly, and a range ending in the past is historical.
    assert lifecycle.resolve_clock(pd.Timestamp("2015-03-27T20:17Z"), HOUR, "now", now=NOW).kind == "now"
    until = datetime.fromisoformat("2026-12-02T10:00+00:00")
    assert lifecycle.resolve_clock(NOW - HOUR * 5, HOUR, until=until, now=NOW).as_of == pd.Timestamp(until)


def test_chosen_time_and_refusals():
    chosen = datetime.fromisoformat("2026-11-10T18:00+01:00")
    clock = lifecycle.resolve_clock(NOW, HOUR, chosen, now=NOW)
    assert clock.kind == "chosen time" and clock.as_of == pd.Timestamp("2026-11-10T17:00Z")
    with pytest.raises(TrendError, match="time zone"):
        lifecycle.resolve_clock(NOW, HOUR, datetime(2026, 11, 10), now=NOW)
    with pytest.raises(TrendError, match="as of"):
        lifecycle.resolve_clock(NOW, HOUR, "yesterday", now=NOW)


def test_partial_last_bucket_is_scaled_or_left_out():
    assert lifecycle.recent_counts(np.array([10, 10, 5]), 0.5).tolist() == [10, 10, 10]
    assert lifecycle.recent_counts(np.array([10, 10, 1]), 0.1).tolist() == [10, 10]
    assert lifecycle.recent_counts(np.array([10, 10, 1]), 1.0).tolist() == [10, 10, 1]
