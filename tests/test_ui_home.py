"""Home through AppTest: the signed-in person's working list on every visit, in plain words."""

from __future__ import annotations

import pytest

from planner import auth, dashboard, trends
from planner.config import load_settings
from planner.db import open_workspace
from planner.schedule import pauses
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


def table(at, key: str):
    return next(d.value for d in at.dataframe if d.key == key)


def test_reviewer_sees_drafts_waiting_for_review_and_trends_to_answer(demo_users):
    at = app_as(demo_users["rita"])
    assert not at.exception
    assert [t.value for t in at.title] == ["Home"]
    waiting = table(at, "home_reviews")
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
    assert sorted(table(again, "home_reviews")["title"]) == sorted(waiting["title"])
    assert not any("Pick a section in the sidebar" in s.value for s in again.success)


def test_drafter_sees_drafts_sent_back_with_the_request(demo_users):
    at = app_as(demo_users["demo.drafter"])
    assert not at.exception
    assert "Waiting for your review" not in metrics(at)
    sent_back = table(at, "home_sent_back")
    assert sent_back["title"].tolist() == ["Myth versus fact: the valley is not abandoned"]
    assert sent_back["request"].iloc[0]
    assert_plain_words(at)


def test_author_is_not_asked_to_review_own_draft(demo_users):
    at = app_as(demo_users["demo.reviewer2"])
    waiting = table(at, "home_reviews")
    assert "What recruitment looks like: a guide for parents" not in set(waiting["title"])


def test_home_shows_posts_due_next_and_the_weeks_results(demo_users):
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        due = dashboard.due_next(s)
        week = dashboard.week_kpis(s)
    ws.dispose()
    at = app_as(demo_users["rita"])
    assert not at.exception
    shown = table(at, "home_due")
    assert not due.empty  # the demo schedules posts ahead of its clock
    assert shown["title"].tolist() == due["title"].tolist()
    assert shown["at"].is_monotonic_increasing
    assert set(shown["status"]) <= {"Planned", "Paused"}
    assert week is not None  # the demo records results
    values = metrics(at)
    for fig in week.figures:
        assert values[fig.label] == fig.value
    assert any(c.value.startswith("Posts published in the last 7 days") for c in at.caption)


def test_home_shows_pauses_in_force_with_who_why_and_when(demo_users):
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        rita = auth.actor_for(auth.get_user(s, "rita"))
        pauses.pause(s, rita, "all", "Storm warning in the valley")
        due = dashboard.due_next(s)
    ws.dispose()
    at = app_as(demo_users["demo.drafter"])
    assert not at.exception
    (stop,) = [e.value for e in at.error if "Posting paused" in e.value]
    assert stop.startswith("**Posting paused: Everything**, until someone resumes it. Set by rita on ")
    assert "Why: Storm warning in the valley." in stop
    shown = table(at, "home_due")
    assert set(shown["status"]) == {"Paused"} and len(shown) == len(due)


def test_empty_workspace_home_says_what_to_do(app_env):
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        ada = auth.create_first_admin(s, "ada", "correct horse battery", "Ada")
    ws.dispose()
    at = app_as(ada.id)
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Nothing is scheduled. Approved drafts can be scheduled on the Calendar") for c in captions)
    assert any(c.startswith("No figures recorded yet. After posts go out, import") for c in captions)
    assert not [e for e in at.error if "Posting paused" in e.value]
