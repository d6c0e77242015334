"""Drafts page: editor with live counters and checks, save, review with acknowledgement, comments, history."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner import auth, drafts
from planner.config import load_settings
from planner.db import open_workspace
from planner.demo import load_demo

ROOT = Path(__file__).resolve().parent.parent

TIMEOUT = 30


@pytest.fixture
def demo_ws(app_env):
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        admin = auth.create_first_admin(s, "ada", "correct horse battery")
        load_demo(s, auth.actor_for(admin))
        users = {
            name: auth.create_user(s, auth.CLI_ACTOR, name, "correct horse battery", role).id
            for name, role in (("dora", "drafter"), ("rhea", "reviewer"), ("vic", "viewer"))
        }
        users["ada"] = admin.id
    yield ws, users
    ws.dispose()


def open_page(user_id: int, draft_id: int | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["user_id"] = user_id
    if draft_id is not None:
        at.query_params["draft"] = str(draft_id)
    at.switch_page("planner/ui/drafts.py").run()
    assert not at.exception, at.exception
    return at


def find_draft(ws, title):
    with ws.session() as s:
        frame = drafts.list_drafts(s)
    return int(frame[frame["title"] == title]["id"].iloc[0])


def test_list_and_detail_load_for_every_role(demo_ws):
    ws, users = demo_ws
    draft_id = find_draft(ws, "Redirect: searching the Lantern tag")
    for name in ("ada", "dora", "rhea", "vic"):
        at = open_page(users[name], draft_id)
        assert at.title[0].value == "Drafts"
        assert any("Redirect" in s.value for s in at.subheader)
