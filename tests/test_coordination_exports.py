"""Exports: the edges CSV has exactly the toolkit's columns; GraphML keeps direction, weights and node data."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from planner.coordination import exports
from planner.coordination.networks import CoordinationError

EDGES = pd.DataFrame({"source": ["a", "b"], "target": ["b", "a"], "weight": [3, 2]})


def test_csv_has_exactly_the_toolkit_columns(tmp_path):
    path = exports.write(tmp_path / "e.csv", EDGES, "co-post")
    assert path.read_text().splitlines() == ["source,target,weight,edge_type", "a,b,3,co-post", "b,a,2,co-post"]


def test_graphml_round_trip(tmp_path):
    nodes = pd.DataFrame({"cluster": [1, 1], "author_handle": ["h_a", None]}, index=["a", "b"])
    graph = nx.read_graphml(exports.write(tmp_path / "e.graphml", EDGES, "co-link", nodes))
    assert graph.is_directed()
    assert graph["a"]["b"]["weight"] == 3 and graph["b"]["a"]["weight"] == 2
    assert graph["a"]["b"]["edge_type"] == "co-link"
    assert graph.nodes["a"] == {"cluster": 1, "author_handle": "h_a"} and graph.nodes["b"]["author_handle"] == ""


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(CoordinationError, match=r"\.csv or \.graphml"):
        exports.write(tmp_path / "e.xlsx", EDGES, "co-post")
