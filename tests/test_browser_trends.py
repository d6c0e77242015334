"""The trends journey in real Chromium: demo workspace, Trends page, a trend's detail chart, triage."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import browser_page, running_app, screenshot
from tests.conftest import PASSWORD, copy_demo

pytestmark = pytest.mark.browser


def test_trends_detail_and_triage(tmp_path, demo_template):
    copy_demo(demo_template, tmp_path / "data")
    with running_app(tmp_path / "data") as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("New trends since your last visit").or_(page.get_by_text("Trends", exact=True)))
        page.get_by_role("link", name="Trends").first.click()
        expect(page.get_by_role("heading", name="Trends")).to_be_visible()
        expect(page.get_by_text("Trends shown")).to_be_visible()
        expect(page.locator('[data-testid="stDataFrame"] canvas').first).to_be_visible()
        page.wait_for_timeout(1500)  # let the grid draw its rows and sparklines
        screenshot(page, "10_trends_table")
        # Tick the first row of the ranked table (the grid is a canvas: click where the row's checkbox is).
        grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
        page.mouse.click(grid["x"] + 18, grid["y"] + 35 + 18)
        expect(page.get_by_role("heading", name="#greylanternrises (hashtag)")).to_be_visible()
        chart = page.locator(".js-plotly-plot").first
        expect(chart).to_be_visible()
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        screenshot(page, "11_trend_chart")
        page.get_by_test_id("stForm").last.get_by_text("Respond", exact=True).click()
        page.get_by_role("button", name="Save triage").click()
        expect(page.get_by_text("#greylanternrises: Respond")).to_be_visible()
        path = screenshot(page, "12_trend_triage")
        assert path.stat().st_size > 20_000
