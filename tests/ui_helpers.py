"""Helpers for AppTest-based page tests: a workspace at the app's data dir and a logged-in app."""

from __future__ import annotations

import re

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


def unescaped(markdown: str) -> str:
    """Return markdown text as a person reads it: without the backslashes and invisible word joiners that
    common.safe_md adds, and without its bidi isolation marks."""
    return re.sub(r"\\(.)", r"\1", str(markdown)).translate(dict.fromkeys(map(ord, "\u2060\u2068\u2069")))


def visible_text(at: AppTest) -> str:
    """Return the words a person sees on the page: titles, text, captions, alerts, metrics, tabs, buttons, tables."""
    parts: list[str] = []
    for group in (at.title, at.subheader, at.markdown, at.caption, at.text, at.info, at.warning, at.error, at.success):
        parts += [unescaped(e.value) for e in group]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [str(t.label) for t in at.tabs]
    parts += [str(b.label) for b in at.button]
    for frame in at.dataframe:
        value = frame.value
        data = getattr(value, "data", value)  # a pandas Styler keeps its frame in .data
        parts.append(" ".join(map(str, data.columns)))
        # Time columns are formatted in the viewer's zone by st.column_config; the rest shows as it is.
        shown = data.select_dtypes(exclude=["datetime", "datetimetz"])
        parts.append(shown.astype(str).to_string())
    return "\n".join(parts)


INTERNAL_WORDS = ("in_review", "changes_requested", "+00:00", "None", "SHA-256", "sha256", "link_without_utm")


def assert_plain_words(at: AppTest) -> None:
    """Fail when the page shows an internal word: a snake_case status, a raw UTC offset, None, a hash."""
    text = visible_text(at)
    found = [w for w in INTERNAL_WORDS if w in text]
    assert not found, f"internal words on the page: {found}\n{text[:3000]}"
