"""Reading stored results: runs, clusters, members, edges, the capped graph and an account's posts."""

from __future__ import annotations

import pytest
from coordination_helpers import add_posts, planted

from planner.auth import CLI_ACTOR
from planner.coordination import results
from planner.coordination.networks import Params
from planner.coordination.runs import detect_and_store


@pytest.fixture
def run_id(session):
    add_posts(session, planted(group=10))
    return detect_and_store(session, CLI_ACTOR, Params()).run_id


def test_runs_clusters_members_and_edges(session, run_id):
    assert results.runs(session)["id"].tolist() == [run_id]
    clusters = results.clusters(session, run_id)
    assert clusters[["rank", "accounts", "posts"]].values.tolist() == [[1, 10, 60]]
    members = results.members(session, run_id, int(clusters.at[0, "id"]))
    assert len(members) == 10 and set(members["cluster"]) == {1}
    edges = results.edges(session, run_id)
    assert len(edges) == 90 and list(edges.columns[:3]) == ["source", "target", "weight"]
    assert (edges["weight"] == 6).all() and edges.iloc[0][["source", "target"]].tolist() == ["g00", "g01"]
    with pytest.raises(results.RunNotFound):
        results.get_run(session, 999)


def test_graph_is_capped_to_the_strongest_nodes_and_laid_out_the_same_each_time(session, run_id):
    graph = results.graph(session, run_id, max_nodes=4)
    assert graph.total_nodes == 10 and len(graph.nodes) == 4
    assert len(graph.edges) == 6 and (graph.edges["weight"] == 12).all()  # both directions summed
    again = results.graph(session, run_id, max_nodes=4)
    assert graph.nodes[["x", "y"]].equals(again.nodes[["x", "y"]])


def test_account_posts(session, run_id):
    posts = results.account_posts(session, "x", "g03")
    assert len(posts) == 6 == results.account_post_count(session, "x", "g03")
    assert posts["created_at"].is_monotonic_decreasing


def test_export_run_as_csv_and_graphml(session, run_id):
    import io

    import networkx as nx
    import pandas as pd

    csv = pd.read_csv(io.BytesIO(results.export_run(session, run_id, "csv")), dtype={"source": str, "target": str})
    assert list(csv.columns) == ["source", "target", "weight", "edge_type"] and len(csv) == 90
    graph = nx.read_graphml(io.BytesIO(results.export_run(session, run_id, "graphml")))
    assert graph.number_of_edges() == 90 and graph.nodes["g00"]["author_handle"] == "h_g00"
