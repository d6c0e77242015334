"""Run coordination detection over the workspace's monitored posts, store the clusters, and set trends' shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, case, exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import Action, require
from planner.coordination.clusters import Clusters, find_clusters
from planner.coordination.networks import CoordinationError, Params, Prepared, detect
from planner.db import atomic
from planner.models import CoordinationCluster, CoordinationEdge, CoordinationMember, CoordinationRun, Post, Trend

Progress = Callable[[float, str], None]
_COLUMNS = {"co-post": "text", "co-similar": "text", "co-link": "urls", "co-hashtag": "hashtags", "co-repost": None}


@dataclass
class Detection:
    """What one detection found: the directed edges (account labels), clusters, and how the labels map to posts."""

    params: Params
    since: datetime | None
    until: datetime | None
    posts_considered: int
    prepared: Prepared
    edges: pd.DataFrame  # source, target, weight (source/target = account labels)
    clusters: Clusters
    accounts: pd.DataFrame  # account, platform, author_id, author_handle
    run_id: int | None = None


def load_posts(
    session: Session, kind: str, since: datetime | None = None, until: datetime | None = None
) -> pd.DataFrame:
    """Return the monitored posts in [since, until) with the columns detection of `kind` needs, plus `account`.

    `account` is the author id, or "platform:author id" when the posts come from more than one platform.
    """
    if since and until and since >= until:
        raise CoordinationError(f"since ({since.isoformat()}) must be before until ({until.isoformat()})")
    columns = [Post.platform, Post.author_id, Post.author_handle, Post.created_at, Post.repost_of]
    if _COLUMNS.get(kind):
        columns.append(getattr(Post, _COLUMNS[kind]))
    stmt = select(*columns)
    if since:
        stmt = stmt.where(Post.created_at >= since)
    if until:
        stmt = stmt.where(Post.created_at < until)
    frame = pd.DataFrame(session.execute(stmt).all(), columns=[c.key for c in columns])
    for col in ("text", "urls", "hashtags"):
        if col not in frame:
            frame[col] = ""
    if frame["platform"].nunique() > 1:
        frame["account"] = frame["platform"] + ":" + frame["author_id"]
    else:
        frame["account"] = frame["author_id"]
    return frame


def run_detection(
    session: Session,
    params: Params,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> Detection:
    """Detect co-action edges and clusters over the stored posts without changing anything."""
    params.check()
    report = progress or (lambda _f, _m: None)
    report(0.0, "loading monitored posts")
    posts = load_posts(session, params.kind, since, until)
    report(0.1, f"sweeping {len(posts):,} posts for {params.kind}")
    prep, edges = detect(posts, params, lambda f, m: report(0.1 + 0.6 * f, m))
    report(0.7, f"grouping {edges['source'].nunique() if len(edges) else 0:,} accounts into clusters")
    clusters = find_clusters(prep, params, edges)
    accounts = (
        posts.drop_duplicates("account")[["account", "platform", "author_id", "author_handle"]]
        .set_index("account")
        .reindex(clusters.members["account"])
        .reset_index()
    )
    report(0.85, "done detecting")
    return Detection(params, since, until, len(posts), prep, edges, clusters, accounts)


def detect_and_store(
    session: Session,
    actor: Actor,
    params: Params,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> Detection:
    """Run detection, store the run with its clusters, members and edges, and set every trend's coordination share.

    Raises PermissionDenied or CoordinationError. Everything is written in one transaction with its audit entry.
    """
    require(actor, Action.RUN_DETECTION)
    result = run_detection(session, params, since, until, progress)
    report = progress or (lambda _f, _m: None)
    report(0.9, "storing clusters")
    with atomic(session):
        store(session, actor, result)
    report(1.0, "done")
    return result


def store(session: Session, actor: Actor, result: Detection) -> CoordinationRun:
    """Store a detection with its audit entry and set trends' shares, in the caller's transaction (no commit)."""
    require(actor, Action.RUN_DETECTION)
    run = _store(session, actor, result)
    shares = update_trend_shares(session, run.id)
    summary = f"{run.summary}; coordination share set on {shares} trends"
    audit.record(session, actor, "coordination.detect", "coordination_run", run.id, summary)
    result.run_id = run.id
    return run


def _store(session: Session, actor: Actor, result: Detection) -> CoordinationRun:
    p = result.params
    clusters, members = result.clusters.clusters, result.clusters.members
    run = CoordinationRun(
        created_by=actor.user_id,
        kind=p.kind,
        window_s=p.window_s,
        min_weight=p.min_weight,
        similarity=p.similarity if p.kind == "co-similar" else None,
        since=result.since,
        until=result.until,
        posts_considered=result.posts_considered,
        edge_count=len(result.edges),
        account_count=len(members),
        cluster_count=len(clusters),
        summary=(
            f"{p.kind} within {p.window_s:g} s, min weight {p.min_weight}: {len(result.edges):,} edges, "
            f"{len(members):,} accounts in {len(clusters):,} clusters from {result.posts_considered:,} posts"
        ),
    )
    session.add(run)
    session.flush()
    if clusters.empty:
        return run
    cluster_rows = [
        {
            "run_id": run.id,
            "rank": int(r.cluster),
            "accounts": int(r.accounts),
            "posts": int(r.posts),
            "shared_objects": int(r.shared_objects),
            "communities": int(r.communities),
            "total_weight": int(r.total_weight),
            "median_delay_s": None if pd.isna(r.median_delay_s) else float(r.median_delay_s),
            "first_at": None if pd.isna(r.first_at) else r.first_at.to_pydatetime(),
            "last_at": None if pd.isna(r.last_at) else r.last_at.to_pydatetime(),
            "summary": r.summary,
        }
        for r in clusters.itertuples()
    ]
    ids = session.scalars(
        insert(CoordinationCluster).returning(CoordinationCluster.id, sort_by_parameter_order=True), cluster_rows
    ).all()
    cluster_id = dict(zip(clusters["cluster"], ids, strict=True))
    info = result.accounts.set_index("account")
    member_rows = [
        {
            "run_id": run.id,
            "cluster_id": cluster_id[m.cluster],
            "platform": info.at[m.account, "platform"],
            "author_id": info.at[m.account, "author_id"],
            "author_handle": info.at[m.account, "author_handle"] or "",
            "community": int(m.community),
            "posts": int(m.posts),
            "strength": int(m.strength),
        }
        for m in members.itertuples()
    ]
    member_ids = session.scalars(
        insert(CoordinationMember).returning(CoordinationMember.id, sort_by_parameter_order=True), member_rows
    ).all()
    member_id = pd.Series(member_ids, index=members["account"].to_numpy())
    edges = result.edges
    source = member_id.reindex(edges["source"]).to_numpy()
    target = member_id.reindex(edges["target"]).to_numpy()
    weight = edges["weight"].to_numpy()
    batch = 50_000
    for start in range(0, len(edges), batch):
        rows = [
            {"run_id": run.id, "source_id": int(s), "target_id": int(t), "weight": int(w)}
            for s, t, w in zip(
                source[start : start + batch], target[start : start + batch], weight[start : start + batch], strict=True
            )
        ]
        session.execute(insert(CoordinationEdge), rows)
    return run


def share_sentence(share: float | None) -> str:
    """Return the sentence a trend's explanation uses for its coordination share ('' when unknown)."""
    if share is None:
        return ""
    return (
        f"{share:.0%} of its posts came from accounts in coordinated clusters "
        "(a signal of coordination, not proof of who is behind it)."
    )


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _padded(column):
    return literal(" ") + column + literal(" ")


def trend_filter(trend: Trend):
    """Return an SQL condition selecting the posts of `trend`, or None for kinds matched elsewhere (narratives)."""
    key = (trend.key or "").strip()
    if not key:
        return None
    # Keys match whatever the case (ILIKE on PostgreSQL, whose LIKE, unlike SQLite's, is case-sensitive): a URL
    # trend keeps its path's case while keys are compared lower-cased.
    esc = _like_escape(key.lower())
    if trend.kind == "hashtag":
        return _padded(Post.hashtags).ilike(f"% {_like_escape(key.lstrip('#').lower())} %", escape="\\")
    if trend.kind == "term":
        return func.lower(Post.text).like(f"%{esc}%", escape="\\")
    if trend.kind == "url":
        return _padded(Post.urls).ilike(f"% {esc} %", escape="\\")
    if trend.kind == "domain":
        padded = _padded(Post.urls)
        return or_(
            *(padded.ilike(f"%{pre}{esc}{post}%", escape="\\") for pre in ("://", ".") for post in ("/", " ", ":"))
        )
    return None


def update_trend_shares(session: Session, run_id: int) -> int:
    """Set each trend's coordination share from run `run_id`; return how many trends got a value.

    The share is the fraction of the trend's posts (in the run's time range) written by accounts in the run's
    clusters. Call inside the caller's transaction.
    """
    run = session.get(CoordinationRun, run_id)
    member = exists().where(
        and_(
            CoordinationMember.run_id == run_id,
            CoordinationMember.platform == Post.platform,
            CoordinationMember.author_id == Post.author_id,
        )
    )
    updated = 0
    for trend in session.scalars(select(Trend)):
        condition = trend_filter(trend)
        if condition is None:
            continue
        stmt = select(func.count(Post.id), func.sum(case((member, 1), else_=0))).where(condition)
        if run.since:
            stmt = stmt.where(Post.created_at >= run.since)
        if run.until:
            stmt = stmt.where(Post.created_at < run.until)
        total, coordinated = session.execute(stmt).one()
        trend.coordination_share = (coordinated or 0) / total if total else None
        updated += total > 0
    return updated
