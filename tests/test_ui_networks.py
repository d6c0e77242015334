"""Networks page through AppTest: empty states, running detection with progress, clusters, graph, drill-down."""

from __future__ import annotations

from coordination_helpers import add_posts, planted

from planner.auth import CLI_ACTOR
from planner.config import load_settings
from planner.coordination.networks import Params
from planner.coordination.runs import detect_and_store
from planner.db import open_workspace
from tests.ui_helpers import app_as, assert_plain_words, make_user, unescaped

PAGE = "planner/ui/networks.py"


def _seed(detect: bool = False) -> None:
    ws = open_workspace(load_settings().database_url)
    try:
        with ws.session() as session:
            add_posts(session, planted())
            if detect:
                detect_and_store(session, CLI_ACTOR, Params())
    finally:
        ws.dispose()


def test_empty_workspace_says_what_to_do(app_env):
    at = app_as(make_user(), PAGE)
    assert not at.exception
    assert [t.value for t in at.title] == ["Networks"]
    assert "No monitored posts yet" in at.info[0].value


def test_drafter_runs_detection_and_sees_the_cluster(app_env):
    make_user()
    _seed()
    at = app_as(make_user("dora", "drafter"), PAGE)
    assert not at.exception
    assert "No detection has run yet" in at.info[0].value
    at.number_input(key="networks_window").set_value(30.0)
    at.button[0].click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Coordinated clusters"] == "1" and metrics["Accounts in clusters"] == "8"
    assert metrics["Monitored posts checked"] == "348"
    table = at.dataframe[0].value
    assert table["accounts"].tolist() == [8] and table["posts"].tolist() == [48]
    assert any("These 8 accounts posted identical text within 30 s" in t.value for t in at.text)
    assert at.query_params["run"] == "1"


def test_viewer_sees_results_but_no_detection_form(app_env):
    make_user()
    _seed(detect=True)
    at = app_as(make_user("vic", "viewer"), PAGE)
    assert not at.exception
    assert not at.expander and [b.key for b in at.button] == ["logout"]
    assert [d.label for d in at.get("download_button")] == ["Edges as CSV", "Edges as GraphML"]
    assert at.dataframe[0].value["accounts"].tolist() == [8]


def test_cluster_and_account_drill_down(app_env):
    user = make_user()
    _seed(detect=True)
    at = app_as(user, PAGE)
    at.session_state["networks_clusters"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    members = at.dataframe[1].value
    assert len(members) == 8 and set(members["posts"]) == {6}
    at.session_state["networks_members"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    assert any(unescaped(s.value).startswith("Posts of @h_g") for s in at.subheader)
    assert len(at.dataframe[2].value) == 6
    assert "Account id" not in " ".join(map(str, members.columns)) and "handle" in members.columns
    assert all(h.startswith("@") for h in members["handle"])
    assert_plain_words(at)


def test_run_without_clusters_suggests_what_to_change(app_env):
    user = make_user()
    ws = open_workspace(load_settings().database_url)
    try:
        with ws.session() as session:
            add_posts(session, planted())
            detect_and_store(session, CLI_ACTOR, Params(min_weight=50))
    finally:
        ws.dispose()
    at = app_as(user, PAGE)
    assert not at.exception
    assert "found no coordinated cluster" in at.info[0].value
    assert {m.label: m.value for m in at.metric}["Coordinated clusters"] == "0"
