"""Stored detection runs: permissions, audit, stored clusters and edges, coordination share per trend."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from coordination_helpers import add_posts, planted
from sqlalchemy import func, select, text

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
    """Share = the trend's posts since detection written by clustered accounts / its total volume then."""
    frame = planted()
    add_posts(session, frame)
    start, clock = pd.Timestamp("2026-11-10T18:00Z"), pd.Timestamp("2026-11-11T00:00Z")
    lantern = frame["hashtags"].str.split().map(lambda h: "lanterncalls" in h)
    grouped = frame["account"].str.startswith("g")

    def measured(kind, key, volume, detected=start):
        return Trend(
            kind=kind, key=key, detected_at=detected, peak_at=detected, last_seen_at=clock, as_of=clock,
            total_volume=int(volume),
        )  # fmt: skip

    session.add_all(
        [
            measured("hashtag", "#lanterncalls", lantern.sum()),
            measured("hashtag", "#LanternLate", 0),  # no volume: not measured
            measured("hashtag", "#valleyton", 250),
            measured("term", "CITIES HIDE", 48),
            measured("url", "https://greylantern-news.example/x", 96),  # a volume above what they wrote
            trend("narrative", "n1"),
            trend("hashtag", "#nobodyusesthis"),
        ]
    )
    session.commit()
    detect_and_store(session, admin, Params())
    shares = dict(session.execute(select(Trend.key, Trend.coordination_share)).all())
    assert shares["#lanterncalls"] == pytest.approx((lantern & grouped).sum() / lantern.sum()) == pytest.approx(48 / 91)
    assert shares["#valleyton"] == 0.0
    assert shares["CITIES HIDE"] == 1.0  # every post with the bigram came from the group; keys compared lower-case
    assert shares["https://greylantern-news.example/x"] == 0.5  # 48 of the 96 posts the trend counted
    assert shares["n1"] is None and shares["#nobodyusesthis"] is None and shares["#LanternLate"] is None


def test_coordination_share_counts_only_the_trend_period_the_run_covered(session, admin):
    frame = planted()
    add_posts(session, frame)
    start, clock = pd.Timestamp("2026-11-10T18:00Z"), pd.Timestamp("2026-11-11T00:00Z")
    detected = start + pd.Timedelta(hours=3)
    lantern = frame["hashtags"].str.split().map(lambda h: "lanterncalls" in h)
    since = lantern & (frame["created_at"] >= detected)
    grouped = frame["account"].str.startswith("g")
    session.add(
        Trend(
            kind="hashtag", key="#lanterncalls", detected_at=detected, peak_at=detected, last_seen_at=clock,
            as_of=clock, total_volume=int(since.sum()),
        )
    )  # fmt: skip
    session.commit()
    detect_and_store(session, admin, Params())
    share = session.scalar(select(Trend.coordination_share))
    assert share == pytest.approx((since & grouped).sum() / since.sum()) and 0 < share < 1
    # A run that starts after the trend was detected did not see all of its posts: no share.
    detect_and_store(session, admin, Params(), since=detected + pd.Timedelta(minutes=30))
    assert session.scalar(select(Trend.coordination_share)) is None


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
    sentence = share_sentence(0.376)
    assert sentence.startswith("38% of its posts since detection came from accounts in coordinated clusters")
    assert "not proof" in share_sentence(0.0)


@pytest.mark.postgres
def test_detect_and_store_on_postgres(pg_url):
    from planner.db import open_workspace

    ws = open_workspace(pg_url)
    try:
        with ws.session() as session:
            add_posts(session, planted())
            start = datetime(2026, 11, 10, 18, tzinfo=UTC)
            session.add(
                Trend(
                    kind="hashtag", key="#lanterncalls", detected_at=start, peak_at=start, last_seen_at=NOW,
                    as_of=NOW, total_volume=91,
                )
            )  # fmt: skip
            session.commit()
            result = detect_and_store(session, CLI_ACTOR, Params(kind="co-link"))
            run = session.get(CoordinationRun, result.run_id)
            assert (run.edge_count, run.cluster_count) == (56, 1)
            assert session.scalar(select(func.count(CoordinationMember.id))) == 8
            assert session.scalar(select(Trend.coordination_share)) == pytest.approx(48 / 91)
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


def test_upgrade_to_0015_keeps_every_edge_and_drops_only_its_keys(tmp_path):
    """Migration 0015 drops the edges' three foreign keys (checks that made dense runs crawl on PostgreSQL); every
    edge is kept, and a downgrade puts the keys back."""
    from alembic import command
    from sqlalchemy import inspect

    from planner import db as planner_db
    from tests.workspaces import engine_at_revision

    engine = engine_at_revision(tmp_path, "0014_post_keys")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO coordination_runs (id, created_at, kind, window_s, min_weight, posts_considered, "
                "edge_count, account_count, cluster_count, summary) VALUES "
                "(1, '2026-01-01 00:00:00.000000', 'co-post', 60, 2, 4, 2, 2, 1, '')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO coordination_clusters (id, run_id, rank, accounts, posts, shared_objects, communities, "
                "total_weight, summary) VALUES (1, 1, 1, 2, 4, 1, 1, 5, '')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO coordination_members (id, run_id, cluster_id, platform, author_id, author_handle, "
                "community, posts, strength) VALUES (1, 1, 1, 'x', 'a', '', 0, 2, 5), (2, 1, 1, 'x', 'b', '', 0, 2, 5)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO coordination_edges (run_id, source_id, target_id, weight) "
                "VALUES (1, 1, 2, 3), (1, 2, 1, 2)"
            )
        )
    edges_sql = text("SELECT id, run_id, source_id, target_id, weight FROM coordination_edges ORDER BY id")
    with engine.connect() as conn:
        before = conn.execute(edges_sql).all()
    assert planner_db.upgrade(engine) == ("0014_post_keys", planner_db.SCHEMA_HEAD)
    with engine.connect() as conn:
        assert conn.execute(edges_sql).all() == before == [(1, 1, 1, 2, 3), (2, 1, 2, 1, 2)]
    assert inspect(engine).get_foreign_keys("coordination_edges") == []
    assert {i["name"] for i in inspect(engine).get_indexes("coordination_edges")} == {"ix_coordination_edges_run"}
    cfg = planner_db._alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014_post_keys")
    keys = inspect(engine).get_foreign_keys("coordination_edges")
    assert sorted(k["constrained_columns"][0] for k in keys) == ["run_id", "source_id", "target_id"]
    with engine.connect() as conn:
        assert conn.execute(edges_sql).all() == before
    engine.dispose()
