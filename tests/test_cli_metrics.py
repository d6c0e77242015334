"""CLI: `metrics import` with presets, mappings and dry runs, and `metrics summary` in table and JSON form."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.cli import cli
from planner.db import open_workspace
from tests.conftest import data_dir_url, workspace_env
from tests.metrics_helpers import FIXTURES, build


@pytest.fixture
def data_dir(tmp_path):
    ws = open_workspace(data_dir_url(tmp_path))
    with ws.session() as s:
        build(s)
    ws.dispose()
    return tmp_path


def run(data_dir, *args):
    return CliRunner().invoke(cli, list(args), env=workspace_env(data_dir))


def test_import_with_preset_then_summary_json(data_dir):
    result = run(data_dir, "metrics", "import", str(FIXTURES / "meta_facebook.csv"), "--preset", "meta")
    assert result.exit_code == 0, result.output
    assert "recorded 1 snapshots" in result.output and "platform facebook" in result.output
    out = run(data_dir, "metrics", "summary", "--campaign", "Valley Together", "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    for key in (
        "impressions",
        "reach",
        "engagements",
        "engagement_rate_impressions",
        "engagement_rate_reach",
        "ctr",
        "share_of_voice",
        "time_to_response_minutes",
    ):
        assert key in data
    assert (data["impressions"], data["reach"], data["engagements"]) == (5210, 3175, 321)
    assert data["engagement_rate_reach"] == pytest.approx(321 / 3175)
    assert data["ctr"] == pytest.approx(175 / 5210)
    assert data["share_of_voice"] is None and "NOT" in data["definitions"]["reach"]
    assert data["targets"][0]["metric"] == "mentoring sign-ups" and data["targets"][0]["kpi"] is None


def test_import_lists_rows_to_confirm(data_dir):
    result = run(data_dir, "metrics", "import", str(FIXTURES / "x_content.csv"), "--preset", "x")
    assert result.exit_code == 0, result.output
    assert "To confirm, row 2 (1860000000000000202): maybe Football and mentoring" in result.output
    assert "confirm them on the Results page" in result.output


def test_generic_mapping_from_the_command_line(data_dir):
    args = [
        "--map",
        "url=link",
        "--map",
        "captured_at=as of",
        "--map",
        "impressions=views",
        "--map",
        "replies=comments",
    ]
    result = run(data_dir, "metrics", "import", str(FIXTURES / "generic.csv"), *args)
    assert result.exit_code == 0, result.output
    assert "Mapping: " in result.output and "impressions=views" in result.output
    table = run(data_dir, "metrics", "summary")
    assert "Engagement rate by impressions" in table.output and "15,000" in table.output


def test_dry_run_of_a_bad_file_names_rows_and_exits_1(data_dir):
    result = run(data_dir, "metrics", "import", str(FIXTURES / "bad.csv"), "--preset", "x", "--dry-run")
    assert result.exit_code == 1
    assert "Bad row 2, impressions: 'lots' is not a whole number of 0 or more" in result.output
    real = run(data_dir, "metrics", "import", str(FIXTURES / "bad.csv"), "--preset", "x")
    assert real.exit_code == 1 and "refused, nothing recorded" in real.output
    summary = json.loads(run(data_dir, "metrics", "summary", "--format", "json").output)
    assert summary["impressions"] is None and summary["posts"] == 5


def test_errors_are_one_line(data_dir):
    result = run(data_dir, "metrics", "summary", "--campaign", "Nope")
    assert result.exit_code == 1 and "no campaign" in result.output
    result = run(data_dir, "metrics", "import", str(FIXTURES / "x_content.csv"), "--map", "nope=x")
    assert result.exit_code == 1 and "'nope' is not a field" in result.output
    result = run(data_dir, "metrics", "import", str(data_dir / "missing.csv"))
    assert result.exit_code == 1 and "no such file" in result.output
