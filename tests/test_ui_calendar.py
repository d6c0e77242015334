"""Calendar page: week, month and list views, scheduling, crisis pause and resume, cadence, exports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner import auth
from planner.config import load_settings
from planner.db import open_workspace
from planner.models import utcnow
from planner.schedule import entries, pauses
from tests.conftest import copy_demo

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


@pytest.fixture
def demo_ws(app_env, demo_template):
    copy_demo(demo_template, app_env)
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        users = {"ada": auth.get_user(s, "ada").id}
        for name, role in (("dora", "drafter"), ("vic", "viewer")):
            users[name] = auth.create_user(s, auth.CLI_ACTOR, name, "correct horse battery", role).id
    yield ws, users
    ws.dispose()


def open_page(user_id: int) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["user_id"] = user_id
    at.switch_page("planner/ui/calendar.py").run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    return "\n".join(t.value for t in at.text)


def test_week_view_shows_this_weeks_posts_for_every_role(demo_ws):
    ws, users = demo_ws
    for name in ("ada", "dora", "vic"):
        at = open_page(users[name])
        assert at.title[0].value == "Calendar"
        assert "Mentoring evening reminder" in texts(at) or "Weekend football" in texts(at)
    # A viewer sees no pause or scheduling controls.
    assert not [e for e in at.expander if "Crisis pause" in e.label]


def test_month_and_list_views_show_the_same_posts_as_the_core(demo_ws):
    ws, users = demo_ws
    at = open_page(users["ada"])
    at.segmented_control(key="cal_view").set_value("List").run()
    assert not at.exception
    listed = at.dataframe[0].value
    assert {"Mentoring evening reminder", "Jo answers your questions"} <= set(listed["title"])
    at.segmented_control(key="cal_view").set_value("Month").run()
    assert not at.exception
    assert "Jo answers your questions" in texts(at)


def test_conflicts_are_counted_and_both_posts_kept(demo_ws):
    ws, users = demo_ws
    at = open_page(users["ada"])
    at.segmented_control(key="cal_view").set_value("List").run()
    listed = at.dataframe[0].value
    same = listed[listed["conflict_note"].str.contains("same minute", na=False)]
    assert len(same) == 2  # the demo's two Telegram posts at one minute: both shown, both flagged
    assert {m.label: m.value for m in at.metric}["Conflicts"] != "0"


def test_pause_then_resume_lists_missed_posts(demo_ws):
    ws, users = demo_ws
    at = open_page(users["ada"])
    at.radio(key="cal_pause_kind").set_value("Everything")
    at.text_input(key="cal_pause_reason").input("Incident in the valley: hold everything")
    at.button(key="FormSubmitter:cal_pause-Pause posting").click().run()
    assert not at.exception
    assert any("Posting paused" in e.value and "Incident in the valley" in e.value for e in at.error)
    with ws.session() as s:
        frame = entries.entries_frame(s, utcnow())
    assert set(frame["status"]) <= {"paused", "cancelled"}
    assert "paused" in set(frame["status"])
    resume = [b for b in at.button if b.key and b.key.startswith("cal_resume_")]
    resume[0].click().run()
    assert not at.exception
    assert any(s.value == "Missed during the pause" for s in at.subheader)
    with ws.session() as s:
        assert pauses.active_pauses(s) == []


def test_pause_needs_a_reason(demo_ws):
    ws, users = demo_ws
    at = open_page(users["ada"])
    at.button(key="FormSubmitter:cal_pause-Pause posting").click().run()
    assert any("reason" in e.value for e in at.error)
    with ws.session() as s:
        assert pauses.active_pauses(s) == []


def test_schedule_an_approved_draft_from_the_form(demo_ws):
    ws, users = demo_ws
    at = open_page(users["ada"])
    with ws.session() as s:
        waiting = entries.schedulable_variants(s)
    assert len(waiting) >= 1
    at.selectbox(key="cal_new_variant").set_value(int(waiting["variant_id"].iloc[0]))
    at.button(key="FormSubmitter:cal_new-Schedule").click().run()
    assert not at.exception
    with ws.session() as s:
        frame = entries.entries_frame(s)
        assert int(waiting["variant_id"].iloc[0]) in entries.variants_of(s, frame["id"].tolist())
    assert "Answer: the valley sees you" in set(frame["title"])


def test_home_lists_posts_due_in_the_next_hour(demo_ws):
    from datetime import timedelta

    from planner.models import Draft, ScheduleEntry
    from tests.ui_helpers import app_as

    ws, users = demo_ws
    with ws.session() as s:
        e = s.query(ScheduleEntry).filter_by(status="planned").first()
        e.scheduled_at = utcnow() + timedelta(minutes=30)
        s.commit()
        title = s.get(Draft, e.draft_id).title
    at = app_as(users["ada"])
    assert not at.exception
    assert any(h.value == "Due to publish next" for h in at.subheader)
    due = next(d.value for d in at.dataframe if d.key == "home_due")
    assert due["title"].iloc[0] == title
    assert any(w.value.startswith("1 post due within the hour") for w in at.warning)


def test_resume_then_reschedule_missed_posts_in_one_click(demo_ws):
    from datetime import timedelta

    from planner.models import ScheduleEntry

    ws, users = demo_ws
    with ws.session() as s:
        # A post not tied to a trend's response window (the live demo's answers may have no slot left before theirs
        # closes, depending on the hour the demo was loaded).
        e = (
            s.query(ScheduleEntry)
            .filter(ScheduleEntry.status == "planned", ScheduleEntry.trend_id.is_(None))
            .order_by(ScheduleEntry.scheduled_at)
            .first()
        )
        e.scheduled_at = utcnow() - timedelta(hours=1)  # it fell due while paused
        s.commit()
        variant_id, entry_id = e.variant_id, e.id
        pauses.pause(s, auth.CLI_ACTOR, "all", "hold", starts_at=utcnow() - timedelta(hours=3))
    at = open_page(users["ada"])
    [b for b in at.button if b.key and b.key.startswith("cal_resume_")][0].click().run()
    assert not at.exception
    # ours, and any the live demo had due
    assert any(re.match(r"Resumed all: \d+ posts? (was|were) missed during the pause", m.value) for m in at.success)
    at.button(key="cal_resched").click().run()
    assert not at.exception
    with ws.session() as s:
        assert s.get(ScheduleEntry, entry_id).status == "missed"
        again = s.query(ScheduleEntry).filter(ScheduleEntry.variant_id == variant_id, ScheduleEntry.id != entry_id)
        assert [x.status for x in again] == ["planned"] and again.one().scheduled_at > utcnow()
    assert re.match(r"Placed [1-9]\d* post", at.code[0].value)
    assert any(re.match(r"Placed [1-9]\d* posts?[.;]", m.value) for m in at.success)  # said in a sentence too
