"""CLI `detect-coordination`: options, stored run, CSV and GraphML exports, clean errors."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner
from coordination_helpers import add_posts, planted

from planner.cli import cli
from planner.db import open_workspace
from tests.conftest import workspace_url


@pytest.fixture
def runner(tmp_path, monkeypatch):
    url = workspace_url(tmp_path, "cli")
    monkeypatch.setenv("PLANNER_DATABASE_URL", url)
    ws = open_workspace(url)
    with ws.session() as session:
        add_posts(session, planted())
    ws.dispose()
    return CliRunner()


def test_detect_coordination_writes_csv(runner, tmp_path):
    out = tmp_path / "edges.csv"
    result = runner.invoke(
        cli, ["detect-coordination", "--type", "co-post", "--window", "60", "--min-weight", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "56 edges, 8 accounts in 1 coordinated cluster (from 348 monitored posts)" in result.output
    assert "These 8 accounts posted identical text" in result.output
    edges = pd.read_csv(out, dtype={"source": str, "target": str})
    assert list(edges.columns) == ["source", "target", "weight", "edge_type"]
    assert len(edges) == 56 and set(edges["edge_type"]) == {"co-post"} and set(edges["weight"]) == {6}


def test_detect_coordination_graphml_and_time_range(runner, tmp_path):
    out = tmp_path / "net.graphml"
    args = ["detect-coordination", "--type", "co-link", "--since", "2026-11-10T20:30", "--until", "2026-11-11"]
    result = runner.invoke(cli, [*args, "--min-weight", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(out)
    assert graph.number_of_nodes() == 8 and graph.nodes["g00"]["author_handle"] == "h_g00"
    assert {d["weight"] for _, _, d in graph.edges(data=True)} == {3}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "co-dance"], "co-dance"),
        (["--since", "yesterday"], "not an ISO date"),
        (["--similarity", "1.5"], "1.5"),
        (["--out", "edges.xlsx"], ".csv or .graphml"),
        (["--since", "2026-11-12", "--until", "2026-11-11"], "must be before until"),
    ],
)
def test_bad_options_give_clean_errors(runner, args, message):
    result = runner.invoke(cli, ["detect-coordination", *args])
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output
