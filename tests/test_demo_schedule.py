"""Demo part: a calendar from last week to next week around the load moment, answers inside the emerging trend's
response window, one past pause with missed posts, no cadence conflict other than the deliberate one."""

from __future__ import annotations

from datetime import timedelta

from planner.models import ScheduleEntry, SchedulePause, Trend
from planner.schedule import calendar, entries, pauses, windows
from planner.workspace import DEMO_KEY, get_setting


def test_demo_calendar(demo_ws):
    from datetime import datetime

    with demo_ws.session() as s:
        loaded = datetime.fromisoformat(get_setting(s, DEMO_KEY))
        frame = entries.entries_frame(s)
        trend = s.query(Trend).filter_by(key="#alleyesonthelantern").one()
        window = windows.response_window(s, trend)
        answers = frame[frame["trend"] == "#alleyesonthelantern"]
        assert len(answers) >= 2
        assert all(window.start <= at.to_pydatetime() < window.end for at in answers["at"])
        week = frame[(frame["at"] >= loaded - timedelta(days=8)) & (frame["at"] < loaded + timedelta(days=8))]
        assert {"planned", "published", "missed"} <= set(week["status"])
        assert (week["at"] < loaded).any() and (week["at"] > loaded).any()
        published = s.query(ScheduleEntry).filter_by(status="published").all()
        assert published and all(e.published_url.startswith("https://") and e.platform_post_id for e in published)
        pause = s.query(SchedulePause).one()
        assert pause.resumed_at is not None and pause.resumed_at < loaded
        assert len(pauses.missed_entries(s, pause, loaded)) == 2
        flagged = calendar.flag_conflicts(frame, calendar.all_cadences(s))
        conflicts = flagged[flagged["conflict"]]
        assert list(conflicts["conflict_note"].str.startswith("same minute")) == [True, True]
        assert len(entries.schedulable_variants(s)) == 2  # the unscheduled answer, on X and Telegram
