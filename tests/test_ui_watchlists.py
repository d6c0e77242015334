"""Watchlists page through AppTest: create a list, add normalised entries, errors by field, read-only viewers."""

from __future__ import annotations

from planner import watchlists
from planner.config import load_settings
from planner.db import open_workspace
from tests.ui_helpers import app_as, make_user

PAGE = "planner/ui/watchlists.py"


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_create_and_add(app_env):
    at = app_as(make_user("dora", "drafter"), PAGE)
    assert not at.exception and "No watchlist entries yet" in at.info[0].value
    at.text_input(key="wl_name").input("Grey Lantern")
    _button(at, "Create watchlist").click().run()
    assert not at.exception
    at.selectbox(key="wl_kind").set_value("hashtag")
    at.text_input(key="wl_value").input("#GreyLanternRises")
    _button(at, "Add entry").click().run()
    assert not at.exception
    assert at.dataframe[0].value["value"].tolist() == ["#greylanternrises"]
    at.selectbox(key="wl_kind").set_value("hashtag")
    at.text_input(key="wl_value").input("greylanternrises")
    _button(at, "Add entry").click().run()
    assert "already on 'Grey Lantern'" in at.error[0].value
    ws = open_workspace(load_settings().database_url)
    with ws.session() as session:
        assert watchlists.watchlisted_values(session)["hashtag"] == {"#greylanternrises"}
    ws.dispose()


def test_viewer_reads_only(app_env):
    at = app_as(make_user("vic", "viewer"), PAGE)
    assert not at.exception
    assert "Create watchlist" not in {b.label for b in at.button}
