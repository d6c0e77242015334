"""Clusters of coordinated accounts: components, communities, per-cluster counts, delays and wording."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from coordination_helpers import planted

from planner.coordination import clusters
from planner.coordination.clusters import describe, find_clusters, format_seconds
from planner.coordination.networks import Params, detect


def clusters_of(frame: pd.DataFrame, **params):
    p = Params(**params)
    prep, edges = detect(frame, p)
    return find_clusters(prep, p, edges)


def test_planted_group_is_one_cluster_with_its_counts():
    result = clusters_of(planted())
    assert len(result.clusters) == 1
    cluster = result.clusters.iloc[0]
    assert set(result.members["account"]) == {f"g{g:02d}" for g in range(8)}
    assert (cluster["accounts"], cluster["posts"], cluster["shared_objects"]) == (8, 48, 6)
    assert cluster["total_weight"] == 8 * 7 * 6  # every ordered pair co-posted in all 6 rounds
    assert 0 < cluster["median_delay_s"] <= 20
    assert cluster["first_at"] >= pd.Timestamp("2026-11-10T18:00Z")
    assert cluster["summary"].startswith("These 8 accounts posted identical text within 60 s of each other, 48 times")
    assert "not proof of who is behind it" in cluster["summary"]
    assert (result.members["posts"] == 6).all() and (result.members["strength"] == 2 * 7 * 6).all()
    assert set(result.edges["cluster"]) == {1}


def test_two_groups_are_ranked_and_communities_split_a_bridged_cluster():
    a = planted(group=6, ordinary=0, rounds=5)
    b = planted(group=5, ordinary=0, rounds=3, seed=9)
    b["account"] = b["account"].str.replace("g", "h")
    b["created_at"] += pd.Timedelta(days=1)
    b["text"] = b["text"] + " again"
    result = clusters_of(pd.concat([a, b], ignore_index=True))
    assert list(result.clusters["accounts"]) == [6, 5]
    assert list(result.clusters["posts"]) == [30, 15]
    # A bridge account joining both groups once makes one component, but Leiden still finds two communities.
    bridge = pd.DataFrame(
        {
            "account": ["g00", "h00"] * 2,
            "created_at": pd.to_datetime(["2026-11-12T00:00:00Z", "2026-11-12T00:00:05Z"] * 2)
            + pd.to_timedelta([0, 0, 3600, 3600], unit="s"),
            "text": ["bridge one", "bridge one", "bridge two", "bridge two"],
            "urls": "",
            "hashtags": "",
            "repost_of": "",
        }
    )
    joined = clusters_of(pd.concat([a, b, bridge], ignore_index=True))
    assert len(joined.clusters) == 1 and joined.clusters.at[0, "accounts"] == 11
    assert joined.clusters.at[0, "communities"] == 2
    communities = joined.members.groupby("community")["account"].apply(lambda s: {x[0] for x in s})
    assert sorted(map(sorted, communities)) == [["g"], ["h"]]


def _planted_edges(groups: int = 4, size: int = 12, seed: int = 5):
    """Directed edges of `groups` dense groups of `size` accounts with a few weak links between groups."""
    rng = np.random.default_rng(seed)
    graph = nx.planted_partition_graph(groups, size, 0.9, 0.03, seed=seed)
    pairs = np.array(graph.edges, dtype=np.int64)
    weight = rng.integers(1, 6, len(pairs))
    return pairs[:, 0], pairs[:, 1], weight, np.arange(groups * size)


def test_communities_recover_planted_groups_connected_and_independent_of_edge_order():
    src, dst, weight, nodes = _planted_edges()
    community = clusters._communities(src, dst, weight, nodes)
    found = {frozenset(n for n in nodes if community[n] == c) for c in set(community.values())}
    assert found == {frozenset(range(g * 12, (g + 1) * 12)) for g in range(4)}
    graph = nx.Graph(zip(src.tolist(), dst.tolist(), strict=True))
    assert all(nx.is_connected(graph.subgraph(part)) for part in found)  # Leiden's guarantee
    # The same network given in another order, each edge reversed and split in two halves: the same communities.
    order = np.random.default_rng(1).permutation(len(src))
    halves = weight[order] // 2
    shuffled = clusters._communities(
        np.concatenate([dst[order], src[order]]),
        np.concatenate([src[order], dst[order]]),
        np.concatenate([halves, weight[order] - halves]),
        nodes,
    )
    assert shuffled == community


def test_a_cluster_above_the_edge_limit_is_one_community(monkeypatch):
    src, dst, weight, nodes = _planted_edges()
    monkeypatch.setattr(clusters, "COMMUNITY_MAX_EDGES", len(src) - 1)
    assert set(clusters._communities(src, dst, weight, nodes).values()) == {0}


def test_no_edges_no_clusters():
    result = clusters_of(planted(group=1))
    assert result.clusters.empty and result.members.empty


def test_wording_is_a_signal_not_attribution():
    fast = describe(Params(kind="co-link"), 12, 43, 3, 2.0)
    assert fast.startswith("These 12 accounts shared the same link within 60 s of each other, 43 times")
    assert "automated" in fast and "bot" not in fast.lower()
    slow = describe(Params(kind="co-hashtag", window_s=3600), 3, 1, 1, None)
    assert "1 time (1 distinct hashtag)" in slow and "ordinary activism" in slow and "weak signal" in slow
    assert "80%" in describe(Params(kind="co-similar"), 2, 2, 2, 30.0)
    assert [format_seconds(s) for s in (5, 2.5, 600, 7200)] == ["5 s", "2.5 s", "10.0 min", "2.0 h"]


def test_components_match_scipys_numbering_on_random_and_chain_graphs():
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from planner.coordination.clusters import _components

    rng = np.random.default_rng(11)
    for trial in range(60):
        n = int(rng.integers(2, 200))
        if trial % 3 == 0:  # a long chain in random order: the worst case for label propagation
            perm = rng.permutation(n)
            src, dst = perm[:-1], perm[1:]
        else:
            m = int(rng.integers(1, 300))
            src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
        ours = _components(n, src, dst)
        graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
        _, theirs = connected_components(graph, directed=True, connection="weak")
        has_edge = np.zeros(n, bool)
        has_edge[src] = has_edge[dst] = True
        assert (ours[~has_edge] == -1).all()
        # Same partition, components in the same order (scipy numbers them by their lowest account code).
        assert (
            np.unique(ours[has_edge], return_inverse=True)[1] == np.unique(theirs[has_edge], return_inverse=True)[1]
        ).all()
