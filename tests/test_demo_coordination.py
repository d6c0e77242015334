"""Demo part: the planted coordinated group is found as one cluster, and ordinary accounts are in none."""

from __future__ import annotations

from planner import audit
from planner.coordination import results
from planner.demo import posts as demo_posts


def test_demo_finds_the_planted_group_as_one_cluster(demo_session):
    session = demo_session
    summary = audit.entries(session, audit.AuditFilter(action_prefix="demo.")).iloc[0]["summary"]
    assert "1 coordinated cluster found by co-post within 60 s" in summary
    run = results.runs(session).iloc[0]
    assert run["kind"] == "co-post" and run["cluster_count"] == 1
    clusters = results.clusters(session, int(run["id"]))
    members = results.members(session, int(run["id"]))
    assert set(members["author_id"]) == set(demo_posts.COORDINATED_ACCOUNT_IDS)
    assert not members["author_id"].str.startswith(("u", "a")).any()
    assert clusters.at[0, "accounts"] == 40 and clusters.at[0, "posts"] > 500
    assert clusters.at[0, "summary"].startswith("These 40 accounts posted identical text within 60 s")
