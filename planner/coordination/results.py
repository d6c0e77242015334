"""Read stored coordination results: runs, clusters, members, a capped network graph, an account's posts."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from planner.coordination import exports
from planner.errors import PlannerError
from planner.models import CoordinationCluster, CoordinationEdge, CoordinationMember, CoordinationRun, Post

LAYOUT_SEED = 7
DEFAULT_MAX_NODES = 150


class RunNotFound(PlannerError):
    """No stored coordination run has that id."""


def runs(session: Session, limit: int = 50) -> pd.DataFrame:
    """Return the newest runs (id, created_at, kind, window_s, min_weight, similarity, counts, summary)."""
    cols = [
        CoordinationRun.id,
        CoordinationRun.created_at,
        CoordinationRun.kind,
        CoordinationRun.window_s,
        CoordinationRun.min_weight,
        CoordinationRun.similarity,
        CoordinationRun.since,
        CoordinationRun.until,
        CoordinationRun.posts_considered,
        CoordinationRun.edge_count,
        CoordinationRun.account_count,
        CoordinationRun.cluster_count,
        CoordinationRun.summary,
    ]
    rows = session.execute(select(*cols).order_by(CoordinationRun.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=[c.key for c in cols])


def get_run(session: Session, run_id: int) -> CoordinationRun:
    """Return run `run_id`; raise RunNotFound."""
    run = session.get(CoordinationRun, run_id)
    if run is None:
        raise RunNotFound(f"no coordination run with id {run_id}")
    return run


def clusters(session: Session, run_id: int, limit: int | None = None) -> pd.DataFrame:
    """Return the clusters of a run, biggest first (the first `limit`)."""
    cols = [
        CoordinationCluster.id,
        CoordinationCluster.rank,
        CoordinationCluster.accounts,
        CoordinationCluster.posts,
        CoordinationCluster.shared_objects,
        CoordinationCluster.communities,
        CoordinationCluster.total_weight,
        CoordinationCluster.median_delay_s,
        CoordinationCluster.first_at,
        CoordinationCluster.last_at,
        CoordinationCluster.summary,
    ]
    stmt = select(*cols).where(CoordinationCluster.run_id == run_id).order_by(CoordinationCluster.rank).limit(limit)
    return pd.DataFrame(session.execute(stmt).all(), columns=[c.key for c in cols])


def _members_stmt(run_id: int, cluster_id: int | None):
    cols = [
        CoordinationMember.id,
        CoordinationMember.cluster_id,
        CoordinationCluster.rank.label("cluster"),
        CoordinationMember.platform,
        CoordinationMember.author_id,
        CoordinationMember.author_handle,
        CoordinationMember.community,
        CoordinationMember.posts,
        CoordinationMember.strength,
    ]
    stmt = (
        select(*cols)
        .join(CoordinationCluster, CoordinationCluster.id == CoordinationMember.cluster_id)
        .where(CoordinationMember.run_id == run_id)
    )
    if cluster_id is not None:
        stmt = stmt.where(CoordinationMember.cluster_id == cluster_id)
    return stmt, [c.key for c in cols]


def members(session: Session, run_id: int, cluster_id: int | None = None, limit: int | None = None) -> pd.DataFrame:
    """Return the member accounts of a run (or of one cluster), most coordinated posts first (the first `limit`)."""
    stmt, names = _members_stmt(run_id, cluster_id)
    stmt = stmt.order_by(CoordinationCluster.rank, CoordinationMember.posts.desc(), CoordinationMember.author_id)
    return pd.DataFrame(session.execute(stmt.limit(limit)).all(), columns=names)


def member_count(session: Session, run_id: int, cluster_id: int | None = None) -> int:
    """Return how many accounts a run (or one of its clusters) has."""
    stmt = select(func.count(CoordinationMember.id)).where(CoordinationMember.run_id == run_id)
    if cluster_id is not None:
        stmt = stmt.where(CoordinationMember.cluster_id == cluster_id)
    return session.scalar(stmt) or 0


def edges(session: Session, run_id: int, member_ids: list[int] | None = None) -> pd.DataFrame:
    """Return a run's directed edges as (source, target, weight, source_id, target_id); source/target = author ids.

    Author ids are prefixed with their platform when the run covers more than one platform.
    """
    src, dst = aliased(CoordinationMember), aliased(CoordinationMember)
    stmt = (
        select(
            src.platform.label("source_platform"),
            src.author_id.label("source"),
            dst.platform.label("target_platform"),
            dst.author_id.label("target"),
            CoordinationEdge.weight,
            CoordinationEdge.source_id,
            CoordinationEdge.target_id,
        )
        .join(src, src.id == CoordinationEdge.source_id)
        .join(dst, dst.id == CoordinationEdge.target_id)
        .where(CoordinationEdge.run_id == run_id)
    )
    if member_ids is not None:
        stmt = stmt.where(CoordinationEdge.source_id.in_(member_ids), CoordinationEdge.target_id.in_(member_ids))
    frame = pd.DataFrame(session.execute(stmt).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=["source", "target", "weight", "source_id", "target_id"])
    if pd.concat([frame["source_platform"], frame["target_platform"]]).nunique() > 1:
        frame["source"] = frame["source_platform"] + ":" + frame["source"]
        frame["target"] = frame["target_platform"] + ":" + frame["target"]
    frame = frame.sort_values(["source", "target"], ignore_index=True)
    return frame[["source", "target", "weight", "source_id", "target_id"]]


@dataclass
class Graph:
    """A capped network for display: nodes with seeded spring-layout positions, and the edges between them."""

    nodes: pd.DataFrame  # id, author_id, author_handle, cluster, community, posts, strength, x, y
    edges: pd.DataFrame  # source_id, target_id, weight (both directions summed)
    total_nodes: int


def graph(session: Session, run_id: int, max_nodes: int = DEFAULT_MAX_NODES, cluster_id: int | None = None) -> Graph:
    """Return the `max_nodes` strongest accounts of a run (or cluster) and their edges, laid out for drawing."""
    import networkx as nx

    stmt, names = _members_stmt(run_id, cluster_id)  # the strongest max_nodes, chosen in SQL
    strongest = (CoordinationMember.strength.desc(), CoordinationMember.posts.desc(), CoordinationMember.author_id)
    stmt = stmt.order_by(*strongest)
    nodes = pd.DataFrame(session.execute(stmt.limit(max_nodes)).all(), columns=names)
    total = member_count(session, run_id, cluster_id)
    links = edges(session, run_id, nodes["id"].astype(int).tolist()) if len(nodes) else edges(session, -1)
    if len(links):
        a = links[["source_id", "target_id"]].min(axis=1)
        b = links[["source_id", "target_id"]].max(axis=1)
        links = links.assign(source_id=a, target_id=b).groupby(["source_id", "target_id"], as_index=False)["weight"]
        links = links.sum()
    else:
        links = pd.DataFrame(columns=["source_id", "target_id", "weight"])
    g = nx.Graph()
    g.add_nodes_from(nodes["id"].astype(int))
    g.add_weighted_edges_from(links[["source_id", "target_id", "weight"]].itertuples(index=False, name=None))
    pos = nx.spring_layout(g, seed=LAYOUT_SEED, weight="weight") if len(g) else {}
    nodes = nodes.assign(
        x=nodes["id"].map(lambda i: float(pos[int(i)][0])), y=nodes["id"].map(lambda i: float(pos[int(i)][1]))
    )
    return Graph(nodes=nodes.reset_index(drop=True), edges=links, total_nodes=total)


def account_posts(session: Session, platform: str, author_id: str, limit: int = 1000) -> pd.DataFrame:
    """Return an account's newest monitored posts (created_at, text, hashtags, urls, repost_of)."""
    cols = [Post.created_at, Post.text, Post.hashtags, Post.urls, Post.repost_of]
    stmt = (
        select(*cols)
        .where(Post.platform == platform, Post.author_id == author_id)
        .order_by(Post.created_at.desc())
        .limit(limit)
    )
    return pd.DataFrame(session.execute(stmt).all(), columns=[c.key for c in cols])


def account_post_count(session: Session, platform: str, author_id: str) -> int:
    """Return how many monitored posts an account has."""
    stmt = select(func.count(Post.id)).where(Post.platform == platform, Post.author_id == author_id)
    return session.scalar(stmt) or 0


def export_run(session: Session, run_id: int, fmt: str) -> bytes:
    """Return a stored run's edges as CSV ("csv": source, target, weight, edge_type) or GraphML ("graphml")."""
    run = get_run(session, run_id)
    links = edges(session, run_id)
    if fmt == "csv":
        return exports.edges_csv(links, run.kind).encode("utf-8")
    nodes = members(session, run_id)
    labels = nodes["author_id"]
    if nodes["platform"].nunique() > 1:
        labels = nodes["platform"] + ":" + nodes["author_id"]
    attrs = nodes.set_index(labels)[["platform", "author_handle", "cluster", "community"]]
    return exports.graphml(links, run.kind, attrs)
