"""Home through AppTest: the signed-in person's working list on every visit, in plain words."""

from __future__ import annotations

import pytest

from planner import auth, trends
from planner.config import load_settings
from planner.db import open_workspace
from tests.conftest import copy_demo
from tests.ui_helpers import app_as, assert_plain_words


@pytest.fixture
def demo_users(app_env, demo_template):
    copy_demo(demo_template, app_env)
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        users = {u.username: u.id for u in auth.list_users(s)}
        rita = auth.create_user(s, auth.CLI_ACTOR, "rita", "correct horse battery", "reviewer")
        users["rita"] = rita.id
        trend = trends.query_trends(s, trends.TrendFilter(), limit=1)[0]
        trends.set_status(s, auth.CLI_ACTOR, trend.id, "respond", "answer it")
        users["respond_key"] = trend.key
        users["respond_count"] = len(trends.query_trends(s, trends.TrendFilter(statuses=("respond",)), limit=100))
    yield users
    ws.dispose()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_reviewer_sees_drafts_waiting_for_review_and_trends_to_answer(demo_users):
    at = app_as(demo_users["rita"])
    assert not at.exception
    assert [t.value for t in at.title] == ["Home"]
    waiting = at.dataframe[0].value
    assert sorted(waiting["title"]) == ["Jo's story", "What recruitment looks like: a guide for parents"]
    assert metrics(at)["Waiting for your review"] == "2"
    # The live demo marks its emerging trend 'respond' already; the fixture marked the best-scored one too.
    assert metrics(at)["Trends marked 'respond'"] == str(demo_users["respond_count"])
    trends_table = next(d.value for d in at.dataframe if "key" in d.value.columns)
    responding = trends_table[trends_table["status"] == "Respond"]
    assert demo_users["respond_key"] in set(responding["key"]) and len(responding) == demo_users["respond_count"]
    assert trends_table["status"].iloc[0] == "Respond"  # 'respond' first, then new ones
    assert set(trends_table["status"]) <= {"Respond", "New"}
    assert_plain_words(at)
    # Every visit, not only the first: a second session shows the same working list.
    again = app_as(demo_users["rita"])
    assert sorted(again.dataframe[0].value["title"]) == sorted(waiting["title"])
    assert not any("Pick a section in the sidebar" in s.value for s in again.success)


def test_drafter_sees_drafts_sent_back_with_the_request(demo_users):
    at = app_as(demo_users["demo.drafter"])
    assert not at.exception
    assert "Waiting for your review" not in metrics(at)
    sent_back = at.dataframe[0].value
    assert sent_back["title"].tolist() == ["Myth versus fact: the valley is not abandoned"]
    assert sent_back["request"].iloc[0]
    assert_plain_words(at)


def test_author_is_not_asked_to_review_own_draft(demo_users):
    at = app_as(demo_users["demo.reviewer2"])
    waiting = at.dataframe[0].value
    assert "What recruitment looks like: a guide for parents" not in set(waiting["title"])
