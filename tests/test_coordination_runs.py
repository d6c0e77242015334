"""Stored detection runs: permissions, audit, stored clusters and edges, coordination share per trend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from coordination_helpers import add_posts, planted
from sqlalchemy import func, select

from planner import audit
from planner.auth import CLI_ACTOR, PermissionDenied
from planner.coordination.networks import CoordinationError, Params
from planner.coordination.runs import detect_and_store, load_posts, run_detection, share_sentence
from planner.models import CoordinationCluster, CoordinationEdge, CoordinationMember, CoordinationRun, Trend

NOW = datetime(2026, 11, 11, tzinfo=UTC)


def trend(kind: str, key: str) -> Trend:
    return Trend(kind=kind, key=key, detected_at=NOW, peak_at=NOW, last_seen_at=NOW)


def test_detect_and_store_writes_run_clusters_members_edges_and_audit(session, drafter):
    add_posts(session, planted())
    result = detect_and_store(session, drafter, Params())
    run = session.get(CoordinationRun, result.run_id)
    assert (run.kind, run.edge_count, run.account_count, run.cluster_count) == ("co-post", 56, 8, 1)
    assert run.posts_considered == 48 + 300 and run.created_by == drafter.user_id
    cluster = session.scalars(select(CoordinationCluster)).one()
    assert (cluster.rank, cluster.accounts, cluster.posts, cluster.shared_objects) == (1, 8, 48, 6)
    assert cluster.first_at.tzinfo is not None
    handles = session.scalars(select(CoordinationMember.author_handle).order_by(CoordinationMember.author_id)).all()
    assert handles == [f"h_g{g:02d}" for g in range(8)]
    assert session.scalar(select(func.sum(CoordinationEdge.weight))) == 8 * 7 * 6
    entry = audit.entries(session, audit.AuditFilter(action_prefix="coordination.")).iloc[0]
    assert entry["actor"] == "dora" and entry["object_id"] == str(run.id) and "56 edges" in entry["summary"]


def test_viewers_may_not_run_detection(session, viewer):
    add_posts(session, planted())
    with pytest.raises(PermissionDenied):
        detect_and_store(session, viewer, Params())
    assert session.scalar(select(func.count(CoordinationRun.id))) == 0


def test_coordination_share_per_trend(session, admin):
    frame = planted()
    add_posts(session, frame)
    tags = [trend("hashtag", "#lanterncalls"), trend("hashtag", "#valleyton"), trend("narrative", "n1")]
    session.add_all([*tags, trend("hashtag", "#nobodyusesthis"), trend("term", "CITIES HIDE")])
    session.commit()
    detect_and_store(session, admin, Params())
    shares = dict(session.execute(select(Trend.key, Trend.coordination_share)).all())
    lantern = frame["hashtags"].str.split().map(lambda h: "lanterncalls" in h)
    expected = (lantern & frame["account"].str.startswith("g")).sum() / lantern.sum()
    assert shares["#lanterncalls"] == pytest.approx(expected) and 0 < expected < 1
    assert shares["#valleyton"] == 0.0
    assert shares["CITIES HIDE"] == 1.0
    assert shares["n1"] is None and shares["#nobodyusesthis"] is None


def test_since_until_limit_the_posts(session):
    add_posts(session, planted())
    late = run_detection(session, Params(), since=datetime(2026, 11, 10, 20, 30, tzinfo=UTC))
    assert late.clusters.clusters.at[0, "posts"] == 8 * 3  # rounds at 21:00, 22:00, 23:00
    with pytest.raises(CoordinationError, match="before until"):
        load_posts(session, "co-post", since=NOW, until=NOW)


def test_accounts_of_several_platforms_are_told_apart(session):
    frame = planted(ordinary=0)
    add_posts(session, frame[frame["account"] < "g04"], platform="x")
    add_posts(session, frame[frame["account"] >= "g04"].assign(id=lambda f: "t" + f["id"]), platform="telegram")
    result = run_detection(session, Params())
    assert set(result.clusters.members["account"]) == {f"x:g0{g}" for g in range(4)} | {
        f"telegram:g0{g}" for g in range(4, 8)
    }


def test_share_sentence():
    assert share_sentence(None) == ""
    assert share_sentence(0.376).startswith("38% of its posts came from accounts in coordinated clusters")
    assert "not proof" in share_sentence(0.0)


@pytest.mark.postgres
def test_detect_and_store_on_postgres(pg_url):
    from planner.db import open_workspace

    ws = open_workspace(pg_url)
    try:
        with ws.session() as session:
            add_posts(session, planted())
            session.add(trend("hashtag", "#lanterncalls"))
            session.commit()
            result = detect_and_store(session, CLI_ACTOR, Params(kind="co-link"))
            run = session.get(CoordinationRun, result.run_id)
            assert (run.edge_count, run.cluster_count) == (56, 1)
            assert session.scalar(select(func.count(CoordinationMember.id))) == 8
            assert 0 < session.scalar(select(Trend.coordination_share)) < 1
    finally:
        ws.dispose()


def _text_path(session, params, since=None, until=None):
    """Detection as it was before post keys: texts and author ids loaded and compared as strings."""
    from planner.coordination.clusters import find_clusters
    from planner.coordination.networks import detect

    posts = load_posts(session, params.kind, since, until)
    prep, edges = detect(posts, params)
    return len(posts), edges, find_clusters(prep, params, edges)


def _mixed_posts(seed: int):
    """Posts on two platforms whose texts differ only in case, spacing and mentions, with reposts and empties."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = 600
    variants = ["Rise @x now", "rise now", "RISE  now", "  rise\tnow ", "other words", "", "   ", "Ünï @y köde"]
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "account": [f"acc{k}" for k in rng.integers(0, 25, n)],
            "created_at": pd.Timestamp("2026-11-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 1800, n), unit="s"),
            "text": [variants[k] for k in rng.integers(0, len(variants), n)],
            "urls": "",
            "hashtags": "",
            "repost_of": np.where(rng.random(n) < 0.1, "orig", ""),
        }
    )


@pytest.mark.parametrize("unkeyed", [False, True])
def test_integer_co_post_path_equals_the_text_path(session, unkeyed):
    import pandas as pd
    from sqlalchemy import text

    frame = _mixed_posts(3)
    add_posts(session, frame.iloc[:400], platform="x")
    add_posts(session, frame.iloc[400:], platform="telegram")
    if unkeyed:  # rows a raw insert wrote without keys are keyed in memory
        session.execute(text("UPDATE posts SET text_hash = NULL, author_key = NULL WHERE id % 3 = 0"))
        session.commit()
    since, until = datetime(2026, 11, 1, 0, 5, tzinfo=UTC), datetime(2026, 11, 1, 0, 25, tzinfo=UTC)
    for params, window in ((Params(window_s=30), (None, None)), (Params(window_s=10, min_weight=1), (since, until))):
        result = run_detection(session, params, *window)
        considered, edges, clusters = _text_path(session, params, *window)
        assert result.posts_considered == considered and len(edges) > 20
        pd.testing.assert_frame_equal(result.edges, edges)
        pd.testing.assert_frame_equal(result.clusters.clusters, clusters.clusters)
        pd.testing.assert_frame_equal(result.clusters.members, clusters.members)
        assert result.accounts["account"].str.contains(":").all()  # two platforms: labels carry the platform
