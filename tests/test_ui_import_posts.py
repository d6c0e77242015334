"""The Import page: loads for every role, shows history, and undoes a batch through the core."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planner import auth, ingest
from planner.db import open_workspace
from tests.conftest import data_dir_url
from tests.ui_helpers import assert_plain_words

APP = str(Path(__file__).resolve().parent.parent / "app.py")

CSV = (
    "id,user,handle,date,text\n"
    "1,u1,grey_one,2026-11-01T10:00:00Z,#GreyLanternRises tonight https://greylantern-news.example/a\n"
    "2,u2,grey_two,2026-11-01T10:00:05Z,Valleyton market opens at nine\n"
)


@pytest.fixture
def app_ws(app_env):
    ws = open_workspace(data_dir_url(app_env))
    yield ws
    ws.dispose()


def _user(ws, name, role):
    with ws.session() as session:
        return auth.create_user(session, auth.CLI_ACTOR, name, "correct horse battery", role).id


def _page(user_id):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user_id"] = user_id
    at.run()
    at.switch_page("planner/ui/import_posts.py").run()
    return at


def test_page_loads_empty_for_a_drafter(app_ws):
    at = _page(_user(app_ws, "dora", "drafter"))
    assert not at.exception
    assert at.title[0].value == "Import"
    assert any("No imports yet" in c.value for c in at.caption)


def test_viewer_sees_no_upload(app_ws):
    at = _page(_user(app_ws, "vic", "viewer"))
    assert not at.exception
    assert any("cannot" in i.value or "not import" in i.value for i in at.info)


def test_history_lists_a_batch_and_undo_empties_it(app_ws):
    admin_id = _user(app_ws, "ada", "admin")
    with app_ws.session() as session:
        actor = auth.load_actor(session, admin_id)
        report = ingest.import_posts(session, actor, ingest.Source.from_bytes("posts.csv", CSV.encode()))
    at = _page(admin_id)
    assert not at.exception
    assert at.metric[0].value == "2"
    assert_plain_words(at)
    history = at.dataframe(key="import_history").value
    assert list(history["filename"]) == ["posts.csv"]
    with app_ws.session() as session:
        assert ingest.undo_batch(session, actor, report.batch_id) == 2
    at.run()
    assert not at.exception
    assert at.metric[0].value == "0"
