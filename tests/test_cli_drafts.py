"""CLI: `drafts list`, `drafts check` and `campaigns list` on the demo workspace, in table and JSON form."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.cli import cli
from tests.conftest import copy_demo, workspace_env


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, demo_template):
    data = tmp_path_factory.mktemp("cli")
    copy_demo(demo_template, data)
    return data


def run(demo_dir, *args):
    return CliRunner().invoke(cli, list(args), env=workspace_env(demo_dir))


def test_drafts_list_json_has_every_state(demo_dir):
    result = run(demo_dir, "drafts", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"id", "campaign", "status", "channels", "approvals"} <= set(rows[0])
    assert {r["status"] for r in rows} == {
        "draft",
        "in_review",
        "changes_requested",
        "approved",
        "scheduled",
        "published",
        "archived",
    }
    redirect = next(r for r in rows if r["title"].startswith("Redirect"))
    assert redirect["approvals"] == "1/1" and redirect["channels"] == ["X @ValleyVoicesNet"]


def test_drafts_list_filters(demo_dir):
    rows = json.loads(
        run(demo_dir, "drafts", "list", "--campaign", "open doors for parents", "--format", "json").output
    )
    assert {r["campaign"] for r in rows} == {"Open Doors for Parents"} and len(rows) == 4  # with the A/B pair
    rows = json.loads(run(demo_dir, "drafts", "list", "--status", "in_review", "--format", "json").output)
    assert {r["status"] for r in rows} == {"in_review"}
    table = run(demo_dir, "drafts", "list", "--campaign", "1").output
    assert "Valley Together" in table and "Approvals" in table
    assert "Changes requested" in table and "changes_requested" not in table and "ab_label" not in table


def test_drafts_list_unknown_campaign_is_a_clean_error(demo_dir):
    result = run(demo_dir, "drafts", "list", "--campaign", "Nope")
    assert result.exit_code == 1 and "no campaign with id or name 'Nope'" in result.output


def test_drafts_check_json_findings(demo_dir):
    text = "The lantern sees what the cities hide #GreyLanternRises https://greylantern-news.example/x"
    result = run(
        demo_dir,
        "drafts",
        "check",
        "--channel",
        "x",
        "--campaign",
        "Valley Together",
        "--text",
        text,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    found = {f["id"]: f for f in json.loads(result.output)}
    assert {"adversary_hashtag", "watchlisted_domain", "verbatim_repetition"} <= set(found)
    assert all({"id", "severity", "message"} <= set(f) for f in found.values())
    assert found["adversary_hashtag"]["severity"] == "warning" and found["adversary_hashtag"]["amplification"]


def test_drafts_check_error_exits_1_and_clean_text_passes(demo_dir):
    result = run(demo_dir, "drafts", "check", "--channel", "x", "--text", "a" * 300)
    assert result.exit_code == 1 and "X: 300 / 280" in result.output
    assert "Too long for the platform" in result.output and "Error" in result.output
    ok = run(
        demo_dir,
        "drafts",
        "check",
        "--channel",
        "telegram",
        "--text",
        "Join us on Friday at the centre",
        "--format",
        "json",
    )
    assert ok.exit_code == 0 and json.loads(ok.output) == []


def test_drafts_check_rejects_unknown_channel(demo_dir):
    result = run(demo_dir, "drafts", "check", "--channel", "myspace", "--text", "hi")
    assert result.exit_code == 2 and "myspace" in result.output


def test_campaigns_list(demo_dir):
    rows = json.loads(run(demo_dir, "campaigns", "list", "--format", "json").output)
    assert {r["name"] for r in rows} == {"Valley Together", "Open Doors for Parents"}
    assert next(r for r in rows if r["name"] == "Valley Together")["drafts"] == 16  # with the schedule's answers


def test_help_lists_the_commands():
    out = CliRunner().invoke(cli, ["drafts", "--help"]).output
    assert "list" in out and "check" in out
