"""The browser journey in real Chromium: first-run screen, first admin, log out, log in, home page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import act, browser_page, running_app, screenshot, watch_script_state
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_first_run_login_and_home(tmp_path):
    with running_app(tmp_path / "data") as url, browser_page() as page:
        watch_script_state(page)  # every click below waits until the app has settled (act)
        page.goto(url)
        expect(page.get_by_role("heading", name="Welcome to Counterpoint")).to_be_visible()
        expect(page.get_by_role("button", name="Create admin account")).to_be_visible()
        expect(page.get_by_role("textbox", name="Repeat password")).to_be_visible()
        screenshot(page, "01_first_run")
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Display name").fill("Ada Lovelace")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        page.get_by_role("textbox", name="Repeat password").fill(PASSWORD)
        act(page, page.get_by_role("button", name="Create admin account"), page.get_by_role("heading", name="Home"))
        expect(page.get_by_text("Logged in as")).to_be_visible()

        act(
            page,
            page.get_by_role("button", name="Log out"),
            page.get_by_role("heading", name="Log in to Counterpoint"),
        )
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Password", exact=True).fill("not the password")
        act(page, page.get_by_role("button", name="Log in"), page.get_by_text("Wrong username or password."))
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        act(page, page.get_by_role("button", name="Log in"), page.get_by_role("heading", name="Home"))
        expect(page.get_by_text("Monitored posts", exact=True)).to_be_visible()
        expect(page.get_by_text("Next steps")).to_be_visible()
        path = screenshot(page, "02_home")
        assert path.stat().st_size > 10_000
