"""The session cookie in real Chromium, served by server.py: login survives a reload and a new tab; logout ends it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from planner import auth, sessions
from planner.config import load_settings
from planner.db import open_workspace
from planner.models import AuditEntry, UserSession
from tests.browser import act, browser_page, running_app, watch_script_state
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _workspace(data_dir):
    return open_workspace(load_settings({"PLANNER_DATA_DIR": str(data_dir)}).database_url)


def _signed_in(page):
    expect(page.get_by_text("Logged in as")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _login_form(page):
    expect(page.get_by_role("heading", name="Log in to Counterpoint")).to_be_visible()


def test_session_survives_reload_and_new_tab_and_logout_revokes_it(tmp_path):
    data = tmp_path / "data"
    ws = _workspace(data)
    with ws.session() as s:
        auth.create_first_admin(s, "ada", PASSWORD)
    ws.dispose()

    with running_app(data, script="server.py") as url, browser_page() as page:
        watch_script_state(page)  # the clicks below wait until the app has settled (act)
        page.goto(url)
        _login_form(page)
        page.get_by_role("textbox", name="Username").fill("ada")
        page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
        act(page, page.get_by_role("button", name="Log in"), page.get_by_text("Logged in as"))
        _signed_in(page)

        cookies = {c["name"]: c for c in page.context.cookies()}
        cookie = cookies[sessions.COOKIE_NAME]
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["path"] == "/"
        assert cookie["expires"] == -1  # a browser-session cookie: closing the browser signs out
        # JavaScript on the page cannot read it.
        assert sessions.COOKIE_NAME not in page.evaluate("document.cookie")
        # The value is signed: the database holds only a hash of the token inside it.
        token = sessions.unsign(cookie["value"], sessions.load_secret(data))
        assert token

        # A reload keeps the user and the page.
        page.goto(f"{url}/account")
        expect(page.get_by_role("heading", name="My account")).to_be_visible()
        page.reload()
        _signed_in(page)
        expect(page.get_by_role("heading", name="My account")).to_be_visible()
        # One session, and it is this one: nothing else to sign out.
        expect(page.get_by_role("button", name="Sign out everywhere else")).to_be_disabled()

        # A new tab of the same browser (same cookie jar).
        with page.expect_popup() as popup:
            page.evaluate("url => window.open(url, '_blank')", url)
        second = popup.value
        _signed_in(second)
        second.close()

        login_heading = page.get_by_role("heading", name="Log in to Counterpoint")
        act(page, page.get_by_role("button", name="Log out"), login_heading)
        assert sessions.COOKIE_NAME not in {c["name"] for c in page.context.cookies()}
        page.reload()
        _login_form(page)

        # Replaying the old cookie value does not sign in: the session was revoked on the server.
        page.context.add_cookies([{**{k: cookie[k] for k in ("name", "value", "domain", "path")}}])
        page.reload()
        _login_form(page)

    ws = _workspace(data)
    with ws.session() as s:
        rows = s.scalars(select(UserSession)).all()
        actions = s.scalars(select(AuditEntry.action)).all()
    ws.dispose()
    assert len(rows) == 1 and rows[0].end_reason == "logout" and rows[0].token_hash is None
    assert actions.count("session.start") == 1 and actions.count("session.end") == 1
