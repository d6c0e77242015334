"""Results page: KPIs with definitions, targets, trends, posts table, best time, A/B, manual entry, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from planner import auth, campaigns
from planner.config import load_settings
from planner.db import open_workspace
from planner.metrics import snapshots
from planner.models import Draft, ScheduleEntry
from tests.metrics_helpers import FIXTURES, T0, build
from tests.ui_helpers import app_as, make_user, unescaped

PAGE = "planner/ui/metrics.py"


def frame_with(at, column: str):
    """Return the first table on the page that has `column`."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.fixture
def workspace(app_env):
    ws = open_workspace(load_settings().database_url)
    with ws.session() as s:
        ids = build(s)
        camp = campaigns.get_campaign(s, ids["campaign"])
        campaigns.update_campaign(
            s,
            auth.CLI_ACTOR,
            camp.id,
            camp.version,
            {
                "kpi_targets": [
                    {"metric": "engagement rate", "target": 2, "unit": "%"},
                    {"metric": "link clicks", "target": 100, "unit": "clicks"},
                ]
            },
        )
        day = timedelta(days=1)
        record = snapshots.record_snapshot
        record(s, auth.CLI_ACTOR, ids["launch"], T0 + day, {"impressions": 2000, "likes": 50, "link_clicks": 20})
        record(s, auth.CLI_ACTOR, ids["football"], T0 + 2 * day, {"impressions": 10000, "likes": 120})
        record(s, auth.CLI_ACTOR, ids["guide"], T0 + 2 * day, {"impressions": 5000, "reach": 3000, "likes": 100})
        s.get(Draft, s.get(ScheduleEntry, ids["launch"]).draft_id).ab_label = "B"
        s.commit()
    users = {"ada": make_user("ada", "admin"), "vic": make_user("vic", "viewer")}
    yield ws, ids, users
    ws.dispose()


def test_results_page_shows_kpis_targets_and_ab_verdict(workspace):
    _ws, ids, users = workspace
    at = app_as(users["ada"])
    at.query_params["campaign"] = str(ids["campaign"])
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Results"
    shown = {m.label: m.value for m in at.metric}
    assert shown["Published posts"] == "5" and shown["Impressions"] == "17,000"
    assert shown["Engagement rate by impressions"] == "1.71 %"
    assert shown["Engagement rate by reach"] == "3.33 %"
    assert shown["Reach (sum over posts)"] == "3,000"
    assert "NOT" in next(m for m in at.metric if m.label == "Reach (sum over posts)").help
    assert [t.label for t in at.tabs] == [
        "Overview",
        "Posts",
        "Best time to post",
        "A/B tests",
        "Import",
        "Enter figures",
    ]
    definitions = frame_with(at, "Formula")
    assert "engagements / reach" in definitions["Formula"].tolist()
    targets = frame_with(at, "attainment")
    assert targets["actual"].tolist() == ["1.71 %", "20"]
    assert any("B's engagement rate is higher, 3.5 % vs 1.2 %" in s.value for s in at.success)
    posts = frame_with(at, "engagement_rate_reach")
    assert len(posts) == 5 and posts["engagement_rate_impressions"].iloc[0] == pytest.approx(0.035)
    assert any(
        "1 post on this page is below the campaign's engagement-rate target of 2.0 %" in w.value for w in at.warning
    )


def test_campaign_filter_from_the_url(workspace):
    _ws, ids, users = workspace
    at = app_as(users["ada"])
    at.query_params["campaign"] = str(ids["campaign"])
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.selectbox[0].value == ids["campaign"]


def test_manual_entry_records_a_snapshot(workspace):
    ws, ids, users = workspace
    at = app_as(users["ada"], PAGE)
    at.selectbox(key="m_entry").set_value(ids["insta"])
    at.number_input(key="m_v_impressions").set_value(4120)
    at.number_input(key="m_v_reach").set_value(2890)
    at.button(key="FormSubmitter:m_manual_form-Record figures").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with ws.session() as s:
        hist = snapshots.history(s, ids["insta"])
    assert hist["impressions"].tolist() == [4120] and hist["reach"].tolist() == [2890]


def test_manual_entry_conflict_is_shown_not_replaced(workspace):
    ws, ids, users = workspace
    at = app_as(users["ada"], PAGE)
    at.selectbox(key="m_entry").set_value(ids["launch"])
    local = (T0 + timedelta(days=1)).astimezone(auth.time_zone_of(ws.session(), users["ada"]))
    at.date_input(key="m_day").set_value(local.date())
    at.time_input(key="m_time").set_value(local.time())
    at.number_input(key="m_v_impressions").set_value(9999)
    at.button(key="FormSubmitter:m_manual_form-Record figures").click().run()
    assert not at.exception
    assert "history is never overwritten" in at.error[0].value
    with ws.session() as s:
        assert snapshots.history(s, ids["launch"])["impressions"].tolist() == [2000]


def test_viewer_reads_results_but_cannot_record(workspace):
    _ws, _ids, users = workspace
    at = app_as(users["vic"], PAGE)
    assert not at.exception
    assert any("may read results but not record" in i.value for i in at.info)
    assert not [b for b in at.button if b.key and b.key.startswith("FormSubmitter:m_manual_form")]


def test_empty_workspace_says_what_to_do(app_env):
    user = make_user("ada", "admin")
    at = app_as(user, PAGE)
    assert not at.exception, at.exception
    assert any("No published posts" in i.value for i in at.info)


def test_import_dry_run_import_and_confirm_a_proposal(workspace):
    ws, ids, users = workspace
    at = app_as(users["ada"], PAGE)
    data = (FIXTURES / "x_content.csv").read_bytes()
    at.file_uploader(key="m_upload").set_value(("x_content.csv", data, "text/csv")).run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="m_preset_x_content.csv").value == "x"  # suggested from the headers
    at.button(key="m_dry").click().run()
    assert any(i.value.startswith("A dry run would import 1 row for 1 post from") for i in at.info)
    with ws.session() as s:
        assert len(snapshots.history(s, ids["launch"])) == 1  # only the fixture's own snapshot
    at.button(key="m_import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    said = [i.value for i in at.info if i.value.startswith("Imported")]
    assert said[0].startswith("Imported 1 row for 1 post from") and "1 row did not match a post" in said[0]
    assert at.selectbox(key="m_pick_2").value == ids["football"]
    at.button(key="FormSubmitter:m_confirm_form-Record the confirmed rows").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with ws.session() as s:
        assert snapshots.history(s, ids["football"])["impressions"].tolist()[-1] == 8030
        assert snapshots.history(s, ids["launch"])["impressions"].tolist()[-1] == 12480


def test_malformed_file_is_refused_in_the_page_and_changes_nothing(workspace):
    ws, ids, users = workspace
    at = app_as(users["ada"], PAGE)
    at.file_uploader(key="m_upload").set_value(("bad.csv", (FIXTURES / "bad.csv").read_bytes(), "text/csv")).run()
    at.button(key="m_import").click().run()
    assert not at.exception
    assert "refused, nothing recorded: row 2, impressions" in unescaped(at.error[0].value)
    problems = frame_with(at, "problem")
    assert problems["row"].tolist() == [2, 2, 3]
    with ws.session() as s:
        assert len(snapshots.history(s, ids["launch"])) == 1
