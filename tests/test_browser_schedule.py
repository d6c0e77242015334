"""The schedule journey in real Chromium, served by server.py: schedule a draft, pause, resume; the ICS feed."""

from __future__ import annotations

import urllib.request

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from planner import audit, auth
from planner.db import open_workspace
from planner.models import ScheduleEntry, SchedulePause
from planner.schedule import subscription
from tests.browser import act, browser_page, running_app, screenshot, settled, watch_script_state
from tests.conftest import PASSWORD, copy_demo

pytestmark = pytest.mark.browser


def test_schedule_pause_and_resume_in_the_browser(tmp_path, demo_template):
    db = copy_demo(demo_template, tmp_path / "data")
    ws = open_workspace(db)
    with ws.session() as s:
        _row, token = subscription.create_token(s, auth.actor_for(auth.get_user(s, "ada")), "browser test")
        before = s.query(ScheduleEntry).count()
    ws.dispose()
    with running_app(tmp_path / "data", script="server.py") as url, browser_page() as page:
        watch_script_state(page)  # every click below waits for the app to settle first (no click lost in a rerun)
        page.goto(url)
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        act(page, page.get_by_role("button", name="Log in"), page.get_by_role("heading", name="Home"))
        act(page, page.get_by_role("link", name="Calendar").first, page.get_by_role("heading", name="Calendar"))
        expect(page.get_by_text("Mentoring evening reminder").first).to_be_visible()
        screenshot(page, "30_calendar_week")

        # Schedule the approved answer that the demo left unscheduled.
        settled(page)
        page.locator("summary", has_text="Schedule an approved draft").click()
        expect(page.get_by_text("Draft and channel")).to_be_visible()
        act(
            page,
            page.get_by_role("button", name="Schedule", exact=True),
            page.get_by_text("Scheduled Answer: the valley sees you").first,
        )

        # Crisis pause over everything, with a reason.
        page.locator("summary", has_text="Crisis pause").click()
        expect(page.get_by_label("Reason (required)")).to_be_visible()
        page.get_by_label("Reason (required)").fill("Incident in Valleyton: hold every post")
        act(page, page.get_by_role("button", name="Pause posting"), page.get_by_text("Posting paused").first)
        expect(page.get_by_text("Incident in Valleyton: hold every post").first).to_be_visible()
        screenshot(page, "31_calendar_paused")

        # Resume: the page lists what was missed, with one-click rescheduling.
        act(
            page,
            page.get_by_role("button", name="Resume all"),
            page.get_by_role("heading", name="Missed during the pause"),
        )
        expect(page.get_by_text("Resumed all:").first).to_be_visible()
        screenshot(page, "32_calendar_resumed")

        with urllib.request.urlopen(f"{url}/api/calendar/{token}.ics", timeout=30) as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/calendar")
            feed = Calendar.from_ical(r.read())

    ws = open_workspace(db)
    with ws.session() as s:
        assert s.query(ScheduleEntry).count() == before + 1
        newest = s.query(ScheduleEntry).order_by(ScheduleEntry.id.desc()).first()
        assert newest.created_by == auth.get_user(s, "ada").id and newest.status == "planned"
        pause = s.query(SchedulePause).order_by(SchedulePause.id.desc()).first()
        assert pause.scope == "all" and pause.resumed_at is not None and pause.reason.startswith("Incident")
        actions = list(audit.entries(s)["action"])
        assert actions[:2] == ["schedule.resume", "schedule.pause"]
    ws.dispose()
    uids = {str(e["UID"]) for e in feed.walk("VEVENT")}
    assert f"counterpoint-entry-{newest.id}@counterpoint" in uids
