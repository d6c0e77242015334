"""Trends page and the home page's new trends, through AppTest: empty state, run detection, detail, triage, roles."""

from __future__ import annotations

import pytest

from planner import auth, trends
from planner.config import load_settings
from planner.db import open_workspace
from planner.models import Trend
from tests.trend_helpers import store_posts, synthetic_posts
from tests.ui_helpers import app_as, assert_plain_words, make_user

PAGE = "planner/ui/trends.py"
HOSTILE = "<script>alert('x')</script> **bold** #Blitz"


def _seed(detect: bool = True) -> dict[str, int]:
    posts = synthetic_posts()
    posts.loc[posts["hashtags"] == "blitz", "text"] = HOSTILE
    ws = open_workspace(load_settings().database_url)
    try:
        with ws.session() as session:
            store_posts(session, posts)
            if detect:
                trends.detect_trends(session, auth.CLI_ACTOR, kinds=("hashtag", "domain"))
            return {t.key: t.id for t in trends.query_trends(session)}
    finally:
        ws.dispose()


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_empty_state(app_env):
    at = app_as(make_user(), PAGE)
    assert not at.exception
    assert [t.value for t in at.title] == ["Trends"]
    assert "No detection has run yet" in at.info[0].value


def test_run_detection_from_the_page(app_env):
    _seed(detect=False)
    at = app_as(make_user(), PAGE)
    _button(at, "Detect trends").click().run()
    assert not at.exception
    shown = next(m for m in at.metric if m.label == "Trends shown")
    assert int(shown.value) == 2  # the blitz's link, domain and slogan words are folded into #blitz
    table = at.dataframe[0].value
    assert set(table["key"]) == {"#blitz", "#rising"}
    assert "greylantern-news.example" in table.set_index("key").loc["#blitz", "also"]


def test_detail_and_triage(app_env):
    ids = _seed()
    user = make_user("dora", "drafter")
    at = app_as(user)
    at.query_params["trend"] = str(ids["#blitz"])
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.subheader[0].value == "#blitz (hashtag)"
    texts = [t.value for t in at.text]
    assert any("posts in the hour from" in t and "were expected" in t for t in texts)
    assert any(t.startswith("Also (burst in the same posts): ") and "greylantern-news.example" in t for t in texts)
    assert any(HOSTILE in t for t in texts)  # hostile text shown verbatim as plain text, never as markup
    assert not any("<script>" in m.value for m in at.markdown)
    assert at.get("plotly_chart")
    assert_plain_words(at)
    at.segmented_control(key=f"triage_status_{ids['#blitz']}").set_value("respond")
    at.text_area(key=f"triage_note_{ids['#blitz']}").input("counter it")
    _button(at, "Save triage").click().run()
    assert not at.exception
    ws = open_workspace(load_settings().database_url)
    with ws.session() as session:
        trend = session.get(Trend, ids["#blitz"])
        assert (trend.status, trend.status_note) == ("respond", "counter it")
    ws.dispose()


def test_filters(app_env):
    _seed()
    at = app_as(make_user(), PAGE)
    at.pills(key="f_life").set_value(["dormant"]).run()
    assert not at.exception
    assert set(at.dataframe[0].value["lifecycle"]) == {"Dormant"}
    at.toggle(key="f_watch").set_value(True).run()
    assert "No trend matches these filters" in at.info[0].value
    at.toggle(key="f_watch").set_value(False).run()
    at.pills(key="f_life").set_value([]).run()
    table = at.dataframe[0].value
    assert {"score", "excess", "peak_volume"} <= set(table.columns) and table["score"].is_monotonic_decreasing
    assert any("Lifecycle as of Sat 7 Nov 2026" in c.value for c in at.caption)


def test_viewer_cannot_run_or_triage(app_env):
    ids = _seed()
    at = app_as(make_user("vic", "viewer"))
    at.query_params["trend"] = str(ids["#rising"])
    at.switch_page(PAGE).run()
    assert not at.exception
    labels = {b.label for b in at.button}
    assert "Detect trends" not in labels and "Save triage" not in labels
    assert any(t.value.startswith("Triage: New") for t in at.text)


@pytest.mark.parametrize("visited_before", [False, True])
def test_home_shows_new_trends_since_last_visit(app_env, visited_before):
    user = make_user()
    if visited_before:
        app_as(user)  # first visit records last_seen_at
    _seed()
    at = app_as(user)
    assert not at.exception
    heads = [s.value for s in at.subheader]
    assert ("New trends since your last visit" if visited_before else "New trends") in heads
    texts = [t.value for t in at.text]
    assert "#rising" in texts and any(t.endswith("expected") and " posts vs " in t for t in texts)
    assert not any("baseline" in t for t in texts)  # short rows, no sentences
    at.run()  # a rerun in the same browser session is the same visit: still shown
    assert ("New trends since your last visit" if visited_before else "New trends") in [s.value for s in at.subheader]
    again = app_as(user)  # nothing new since the visit just made
    assert "New trends since your last visit" not in [s.value for s in again.subheader]
