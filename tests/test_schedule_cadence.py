"""Cadence rules: validation naming the field, defaults from the campaign audience, audit, slots and violations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import audit, auth
from planner.models import CampaignChannel
from planner.schedule import ScheduleError
from planner.schedule.cadence import cadence_for, make_cadence, set_cadence, slots, violations
from tests.schedule_helpers import world


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"posts_per_day": 0}, "posts per day"),
        ({"min_gap_minutes": -5}, "minimum gap"),
        ({"allowed_hours": [24]}, "allowed hours"),
        ({"blackout_dates": ["25/12/2026"]}, "blackout dates"),
        ({"time_zone": "Mars/Olympus"}, "time zone"),
    ],
)
def test_bad_rules_name_the_field(rule, message):
    with pytest.raises(ScheduleError, match=message):
        make_cadence(1, **rule)


def test_defaults_come_from_the_campaign_audience_and_changes_are_audited(session, reviewer, drafter):
    chans, camp = world(session)
    session.add(CampaignChannel(campaign_id=camp.id, channel_id=chans["x"]))
    session.commit()
    assert cadence_for(session, chans["x"]).time_zone == "Europe/London"
    assert cadence_for(session, chans["web"]).time_zone == "UTC"
    with pytest.raises(auth.PermissionDenied):
        set_cadence(session, drafter, chans["x"], posts_per_day=2)
    saved = set_cadence(
        session, reviewer, chans["x"], time_zone="Europe/Paris", posts_per_day=2, allowed_hours=[9, 18, 18]
    )
    assert cadence_for(session, chans["x"]) == saved
    assert saved.allowed_hours == (9, 18)
    log = audit.entries(session)
    assert log["action"].iloc[0] == "schedule.cadence" and "at most 2 a day" in log["summary"].iloc[0]


@settings(max_examples=50, deadline=None)
@given(
    zone=st.sampled_from(["UTC", "Europe/London", "America/Sao_Paulo", "Australia/Lord_Howe"]),
    hours=st.lists(st.integers(0, 23), max_size=24, unique=True),
    blackout=st.lists(st.integers(0, 9), max_size=3, unique=True),
    start_offset=st.integers(0, 24 * 300),
)
def test_slots_are_hourly_allowed_and_never_on_blackout_dates(zone, hours, blackout, start_offset):
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=start_offset, minutes=17)
    first_day = start.astimezone(ZoneInfo(zone)).date()
    cad = make_cadence(
        1, time_zone=zone, allowed_hours=hours, blackout_dates=[first_day + timedelta(days=d) for d in blackout]
    )
    found = slots(cad, start, start + timedelta(days=10))
    assert all(t.minute == 0 and t.second == 0 and t >= start for t in found)
    assert len(found) == len(set(found))
    for t in found:
        local = t.astimezone(ZoneInfo(zone))
        assert (not hours or local.hour in hours) and local.date() not in cad.blackout_dates


def test_violations_name_each_broken_rule():
    cad = make_cadence(1, posts_per_day=1, min_gap_minutes=60, allowed_hours=[9, 10], blackout_dates=[date(2026, 1, 2)])
    base = datetime(2026, 1, 1, 9, tzinfo=UTC)
    found = violations(cad, [base, base + timedelta(minutes=30), datetime(2026, 1, 2, 9, tzinfo=UTC)])
    assert any("outside the allowed hours" in v for v in found)
    assert any("less than 60 min apart" in v for v in found)
    assert any(v.startswith("2026-01-01: 2 posts") for v in found)
    assert violations(cad, [base]) == []
