"""Response windows and slot suggestions: deadline setting, ranking by activity and lifecycle, one-line why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from planner.schedule import ScheduleError, entries, windows
from planner.schedule.cadence import set_cadence
from tests.schedule_helpers import NOW, draft, respond_trend, world


def test_window_runs_from_detection_to_the_configured_deadline(session, reviewer):
    trend = respond_trend(session)
    assert windows.response_window(session, trend).end == NOW + timedelta(hours=48)
    windows.set_window_hours(session, reviewer, 24)
    w = windows.response_window(session, trend)
    assert (w.start, w.end) == (NOW, NOW + timedelta(hours=24))
    trend.status = "watching"
    session.commit()
    with pytest.raises(ScheduleError, match="mark it 'respond'"):
        windows.response_window(session, trend)
    with pytest.raises(ScheduleError, match="1 to 336"):
        windows.set_window_hours(session, reviewer, 0)


def test_suggestions_follow_the_trends_own_hour_of_week_profile(session, reviewer):
    chans, _camp = world(session)
    # The trend's own posts come at 20:00 UTC each day, few at other hours.
    series = [40 if (NOW + timedelta(hours=h)).hour == 20 else 1 for h in range(48)]
    trend = respond_trend(session, series=series)
    set_cadence(session, reviewer, chans["x"], time_zone="UTC", posts_per_day=4, min_gap_minutes=60)
    ideas = windows.suggest_slots(session, trend.id, chans["x"], now=NOW, limit=3)
    assert [s.at.hour for s in ideas[:2]] == [20, 20]
    assert ideas[0].at < ideas[1].at  # emerging: the earlier evening is worth more
    assert all(NOW <= s.at < NOW + timedelta(hours=48) for s in ideas)
    assert "the trend's own posts peak at 100% of their busiest hour" in ideas[0].why
    assert "emerging trend" in ideas[0].why and "h left to respond" in ideas[0].why


def test_suggestions_use_audience_hours_skip_taken_slots_and_weigh_own_best_hours(session, reviewer):
    chans, camp = world(session)  # audience: Europe/London, active 18-20
    trend = respond_trend(session)  # no posts of its own: audience hours decide
    from planner.models import CampaignTrend

    session.add(CampaignTrend(campaign_id=camp.id, trend_id=trend.id))
    session.commit()
    set_cadence(session, reviewer, chans["x"], time_zone="Europe/London", posts_per_day=4, min_gap_minutes=120)
    d = draft(session, camp, [chans["x"]])
    taken = NOW.replace(hour=18)
    entries.add_entry(session, reviewer, d.variants[0].id, taken, now=NOW)
    ideas = windows.suggest_slots(session, trend.id, chans["x"], now=NOW, limit=4)
    assert all(abs(s.at - taken) >= timedelta(hours=2) for s in ideas)
    assert {s.at.hour for s in ideas} <= {18, 19, 20}
    assert "Young adults in Valleyton is usually online then" in ideas[0].why
    best = {windows.hour_of_week(NOW.replace(hour=20) + timedelta(days=1)): 10.0}
    ranked = windows.suggest_slots(session, trend.id, chans["x"], now=NOW, limit=1, best_hours=best)
    assert ranked[0].at == NOW.replace(hour=20) + timedelta(days=1)
    assert "channel's own reach at this hour 100% of its best" in ranked[0].why


def test_closed_window_has_no_suggestions(session, reviewer):
    chans, _camp = world(session)
    trend = respond_trend(session)
    with pytest.raises(ScheduleError, match="closed"):
        windows.suggest_slots(session, trend.id, chans["x"], now=NOW + timedelta(hours=49))


def test_vectorised_scores_equal_single_scores():
    import numpy as np

    from planner.schedule.windows import Audience, Scorer, Window

    w = Window(1, "#t", "peaking", NOW, NOW + timedelta(hours=30))
    profile = np.arange(168, dtype=float)
    times = [NOW - timedelta(hours=2) + timedelta(hours=h) for h in range(40)]
    for scorer in (
        Scorer(Audience("a", "Europe/London", (18, 19)), None, w, {5: 2.0, 30: 1.0}),
        Scorer(Audience(), profile, None, None, weight=2.0),
        Scorer(Audience(), None, None, None),
    ):
        assert np.allclose(scorer.scores(times), [scorer.score(t) for t in times])


def test_why_says_in_words_when_the_trend_never_posts_at_that_hour():
    profile = np.zeros(168)
    profile[windows.hour_of_week(datetime(2026, 12, 2, 20, tzinfo=UTC))] = 30.0
    scorer = windows.Scorer(audience=windows.Audience(time_zone="UTC"), profile=profile)
    assert "peak at 100% of their busiest hour" in scorer.why(datetime(2026, 12, 2, 20, tzinfo=UTC))
    quiet = scorer.why(datetime(2026, 12, 2, 3, tzinfo=UTC))
    assert "have not posted at this hour of the week" in quiet and "0%" not in quiet
