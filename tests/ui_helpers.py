"""Helpers for AppTest-based page tests: a workspace at the app's data dir and a logged-in app."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from planner import auth
from planner.config import load_settings
from planner.db import open_workspace
from tests.conftest import PASSWORD, ROOT


def make_user(username: str = "ada", role: str = "admin") -> int:
    """Create a user in the workspace the app will open (PLANNER_DATA_DIR); return its id."""
    ws = open_workspace(load_settings().database_url)
    try:
        with ws.session() as session:
            return auth.create_user(session, auth.CLI_ACTOR, username, PASSWORD, role).id
    finally:
        ws.dispose()


def app_as(user_id: int | None, page: str | None = None) -> AppTest:
    """Return the app run once as `user_id` (None: logged out), switched to `page` if given."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if user_id is not None:
        at.session_state["user_id"] = user_id
    at.run()
    if page:
        at.switch_page(page).run()
    return at
