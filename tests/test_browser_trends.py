"""The trends journey in real Chromium: demo workspace, Trends page, a trend's detail chart, triage."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import act, browser_page, running_app, screenshot, settled, watch_script_state
from tests.conftest import PASSWORD, copy_demo

pytestmark = pytest.mark.browser


def test_trends_detail_and_triage(tmp_path, demo_template):
    copy_demo(demo_template, tmp_path / "data")
    with running_app(tmp_path / "data") as url, browser_page() as page:
        watch_script_state(page)  # every click below waits until the app has settled (act, settled)
        page.goto(url)
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        act(page, page.get_by_role("button", name="Log in"), page.get_by_role("heading", name="Home"))
        act(page, page.get_by_role("link", name="Trends").first, page.get_by_text("Trends shown"))
        expect(page.get_by_role("heading", name="Trends")).to_be_visible()
        expect(page.locator('[data-testid="stDataFrame"] canvas').first).to_be_visible()
        page.wait_for_timeout(1500)  # let the grid draw its rows and sparklines
        screenshot(page, "10_trends_table")
        # Tick the first row of the ranked table (the grid is a canvas: click where the row's checkbox is).
        settled(page)
        grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
        page.mouse.click(grid["x"] + 18, grid["y"] + 35 + 18)
        expect(page.get_by_role("heading", name="#greylanternrises (hashtag)")).to_be_visible()
        chart = page.locator(".js-plotly-plot").first
        expect(chart).to_be_visible()
        settled(page)
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        screenshot(page, "11_trend_chart")
        page.get_by_test_id("stForm").last.get_by_text("Respond", exact=True).click()
        act(page, page.get_by_role("button", name="Save triage"), page.get_by_text("#greylanternrises: Respond"))
        path = screenshot(page, "12_trend_triage")
        assert path.stat().st_size > 20_000
