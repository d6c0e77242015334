"""Narratives page through AppTest: empty state, building with progress, volume chart, samples as plain text."""

from __future__ import annotations

from planner import auth, narratives
from planner.config import load_settings
from planner.db import open_workspace
from tests.trend_helpers import store_posts, synthetic_posts
from tests.ui_helpers import app_as, assert_plain_words, make_user

PAGE = "planner/ui/narratives.py"


def _seed(build: bool) -> None:
    ws = open_workspace(load_settings().database_url)
    try:
        with ws.session() as session:
            store_posts(session, synthetic_posts(days=2))
            if build:
                narratives.build_narratives(session, auth.CLI_ACTOR, n_clusters=5, seed=0)
    finally:
        ws.dispose()


def test_empty_state_then_build(app_env):
    _seed(build=False)
    at = app_as(make_user(), PAGE)
    assert not at.exception
    assert "No narratives yet" in at.info[0].value
    at.number_input(key="n_clusters").set_value(5)
    next(b for b in at.button if b.label == "Build narratives").click().run()
    assert not at.exception
    assert next(m for m in at.metric if m.label == "Narratives").value == "5"
    assert at.get("plotly_chart")


def test_table_and_chart(app_env):
    _seed(build=True)
    at = app_as(make_user("vic", "viewer"), PAGE)
    assert not at.exception
    assert "Build narratives" not in {b.label for b in at.button}
    frame = at.dataframe[0].value
    assert len(frame) == 5 and frame["size"].sum() == len(synthetic_posts(days=2))
    assert_plain_words(at)
    at.segmented_control(key="n_bucket").set_value("1d").run()
    assert not at.exception
