"""Run coordination detection over the workspace's monitored posts, store the clusters, and set trends' shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from planner import audit
from planner import dataaccess as da
from planner.audit import Actor
from planner.auth import Action, require
from planner.coordination.clusters import Clusters, find_clusters
from planner.coordination.networks import CoordinationError, Params, Prepared, detect, edge_codes, prepare_keys
from planner.db import atomic
from planner.models import CoordinationCluster, CoordinationEdge, CoordinationMember, CoordinationRun, Post, Trend
from planner.postkeys import author_keys, text_hashes

Progress = Callable[[float, str], None]
# Posts looked up per query when naming the accounts of a co-post run.
LOOKUP_POSTS = 5_000
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
    if since and until and since >= until:
        raise CoordinationError(f"since ({since.isoformat()}) must be before until ({until.isoformat()})")
    report(0.0, "loading monitored posts")
    if params.kind == "co-post":
        considered, prep, edges, accounts = _co_post(session, params, since, until, report)
    else:
        posts = load_posts(session, params.kind, since, until)
        considered = len(posts)
        report(0.1, f"sweeping {len(posts):,} posts for {params.kind}")
        prep, edges = detect(posts, params, lambda f, m: report(0.1 + 0.6 * f, m))
        accounts = posts.drop_duplicates("account")[["account", "platform", "author_id", "author_handle"]]
    report(0.7, f"grouping {edges['source'].nunique() if len(edges) else 0:,} accounts into clusters")
    clusters = find_clusters(prep, params, edges)
    accounts = accounts.set_index("account").reindex(clusters.members["account"]).reset_index()
    report(0.85, "done detecting")
    return Detection(params, since, until, considered, prep, edges, clusters, accounts)


def _time_filter(since: datetime | None, until: datetime | None) -> tuple[str, dict]:
    sql, params = "", {}
    if since:
        sql, params["since"] = sql + " AND created_at >= :since", since
    if until:
        sql, params["until"] = sql + " AND created_at < :until", until
    return sql, params


def _co_post(session: Session, params: Params, since, until, report: Progress):
    """Return (posts considered, prepared arrays, edges, accounts) of a co-post detection from the integer keys.

    Reads three integer columns per post (account key, time in µs, normalised-text hash), and only for posts
    whose text hash occurs more than once in the table (the others cannot pair). Account codes are then
    renumbered so that the accounts with edges come first, in label order, as the text path numbers them:
    clusters, communities and the order of edges come out the same.
    """
    name = da.dialect(session)
    where, args = _time_filter(since, until)
    considered = da.read_ints(session, f"SELECT count(*) AS n FROM posts WHERE 1 = 1{where}", ["n"], args)[0, 0]
    # Separate min and max: each alone is one look-up in the (platform, author_id) index when there is no filter.
    low, high = (
        session.execute(text(f"SELECT {f}(platform) FROM posts WHERE 1 = 1{where}"), da.db_values(name, args)).scalar()
        for f in ("min", "max")
    )
    platforms = 2 if low != high else 1
    unkeyed = da.read_ints(
        session, "SELECT count(*) AS n FROM (SELECT 1 FROM posts WHERE text_hash IS NULL LIMIT 1) AS u", ["n"]
    )[0, 0]
    original = "(repost_of IS NULL OR repost_of = '')"
    shared = (
        ""
        if unkeyed  # keys missing somewhere: a hash seen once among keyed rows may still pair with an unkeyed row
        # "+": scan the table in order and probe the set of repeated hashes; looking rows up through the hash
        # index visits them in random order, ten times slower when most posts repeat a text (10M posts: 89 s).
        else " AND +text_hash IN (SELECT text_hash FROM posts WHERE text_hash IS NOT NULL "
        "GROUP BY text_hash HAVING count(*) > 1)"
    )
    cols = da.read_ints(
        session,
        f"SELECT author_key AS a, {da.micros('created_at', name)} AS t, text_hash AS h, id FROM posts "
        f"WHERE text_hash IS NOT NULL AND author_key IS NOT NULL AND {original}{where}{shared}",
        ["a", "t", "h", "id"],
        args,
    )
    author, time_us, key, post_id = cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3]
    if unkeyed:  # rows a raw insert wrote without keys: keyed here, in memory (the read changes nothing)
        rows = session.execute(
            text(
                f"SELECT platform, author_id, {da.micros('created_at', name)}, text, id FROM posts "
                f"WHERE (text_hash IS NULL OR author_key IS NULL) AND {original}{where}"
            ),
            da.db_values(name, args),
        ).all()
        if rows:
            platform, author_id, stamp, texts, ids = (list(c) for c in zip(*rows, strict=True))
            post_id = np.concatenate([post_id, np.asarray(ids, np.int64)])
            author = np.concatenate([author, author_keys(platform, author_id)])
            time_us = np.concatenate([time_us, np.asarray(stamp, np.int64)])
            key = np.concatenate([key, text_hashes(texts)])
    report(0.1, f"sweeping {len(key):,} posts with a repeated text for co-post")
    account_keys, post_account = np.unique(author, return_inverse=True)
    prep = prepare_keys(post_account, time_us, key, account_keys, params)
    source, target, weight = edge_codes(prep, params, lambda f, m: report(0.1 + 0.6 * f, m))
    members = np.unique(np.concatenate([source, target]))
    # Each member's first post among those read (they all have one: it has edges) names the account.
    first_post = np.full(len(account_keys), np.iinfo(np.int64).max)
    np.minimum.at(first_post, post_account, post_id)
    info = _account_labels(session, first_post[members], platforms > 1)
    # Renumber: accounts with edges first, in label order; the others after them (their labels are never shown).
    order = np.argsort(info["account"].to_numpy(dtype=object), kind="stable")
    code = np.empty(len(account_keys), np.int64)
    code[members[order]] = np.arange(len(members))
    others = np.setdiff1d(np.arange(len(account_keys)), members, assume_unique=True)
    code[others] = np.arange(len(members), len(account_keys))
    labels = np.empty(len(account_keys), dtype=object)
    labels[: len(members)] = info["account"].to_numpy(dtype=object)[order]
    labels[len(members) :] = account_keys[others].astype(str)
    prep.accounts, prep.post_account = labels, code[prep.post_account]
    source, target = code[source], code[target]
    by_label = np.argsort(source * max(len(members), 1) + target, kind="stable")
    edges = pd.DataFrame(
        {
            "source": pd.Series(labels[source[by_label]], dtype=object),
            "target": pd.Series(labels[target[by_label]], dtype=object),
            "weight": weight[by_label],
        }
    )
    return int(considered), prep, edges, info


def _account_labels(session: Session, ids: np.ndarray, multi: bool) -> pd.DataFrame:
    """Return (account, platform, author_id, author_handle) from the posts `ids`, one per account, in that order."""
    stmt = text("SELECT id, platform, author_id, author_handle FROM posts WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    rows = []
    for start in range(0, len(ids), LOOKUP_POSTS):
        rows += session.execute(stmt, {"ids": ids[start : start + LOOKUP_POSTS].tolist()}).all()
    found = pd.DataFrame(rows, columns=["id", "platform", "author_id", "author_handle"]).set_index("id")
    found = found.reindex(ids)
    account = found["platform"] + ":" + found["author_id"] if multi else found["author_id"]
    return pd.DataFrame(
        {
            "account": account.to_numpy(dtype=object),
            "platform": found["platform"].to_numpy(dtype=object),
            "author_id": found["author_id"].to_numpy(dtype=object),
            "author_handle": found["author_handle"].to_numpy(dtype=object),
        }
    )


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
    cluster_rows = {
        "run_id": np.full(len(clusters), run.id),
        "rank": clusters["cluster"].to_numpy(np.int64),
        **{c: clusters[c].to_numpy(np.int64) for c in _COUNTS},
        "median_delay_s": clusters["median_delay_s"]
        .astype(float)
        .astype(object)
        .where(clusters["median_delay_s"].notna(), None),
        "first_at": pd.to_datetime(clusters["first_at"], utc=True),
        "last_at": pd.to_datetime(clusters["last_at"], utc=True),
        "summary": clusters["summary"],
    }
    cluster_id = pd.Series(
        _insert_ids(session, CoordinationCluster, cluster_rows), index=clusters["cluster"].to_numpy()
    )
    info = result.accounts.set_index("account").reindex(members["account"])
    member_rows = {
        "run_id": np.full(len(members), run.id),
        "cluster_id": cluster_id.reindex(members["cluster"]).to_numpy(np.int64),
        "platform": info["platform"].reset_index(drop=True),
        "author_id": info["author_id"].reset_index(drop=True),
        "author_handle": info["author_handle"].fillna("").reset_index(drop=True),
        **{c: members[c].to_numpy(np.int64) for c in ("community", "posts", "strength")},
    }
    member_id = pd.Series(_insert_ids(session, CoordinationMember, member_rows), index=members["account"].to_numpy())
    edges = result.edges
    da.insert_rows(
        session,
        CoordinationEdge.__tablename__,
        {
            "run_id": np.full(len(edges), run.id),
            "source_id": member_id.reindex(edges["source"]).to_numpy(np.int64),
            "target_id": member_id.reindex(edges["target"]).to_numpy(np.int64),
            "weight": edges["weight"].to_numpy(np.int64),
        },
    )
    return run


_COUNTS = ("accounts", "posts", "shared_objects", "communities", "total_weight")


def _insert_ids(session: Session, model, rows: dict) -> list[int]:
    """Insert `rows` (columns) into `model`'s table in bulk; return the new rows' ids in insertion order.

    Ids grow as rows are inserted (SQLite rowids, PostgreSQL sequences); only ids above the table's largest before
    the insert are taken, so rows an earlier run left behind can never be mistaken for new ones.
    """
    before = session.scalar(select(func.max(model.id))) or 0
    da.insert_rows(session, model.__tablename__, rows)
    run_id = int(rows["run_id"][0])
    stmt = select(model.id).where(model.run_id == run_id, model.id > before).order_by(model.id)
    return list(session.scalars(stmt))


def share_sentence(share: float | None) -> str:
    """Return the sentence a trend's explanation uses for its coordination share ('' when unknown)."""
    if share is None:
        return ""
    return (
        f"{share:.0%} of its posts since detection came from accounts in coordinated clusters "
        "(a signal of coordination, not proof of who is behind it)."
    )


def update_trend_shares(session: Session, run_id: int) -> int:
    """Set each trend's coordination share from run `run_id`; return how many trends got a value.

    The share is the fraction of the trend's posts since it was detected (its total volume, as trend detection
    counted it up to its clock) that accounts in the run's clusters wrote. Only those accounts' posts are read, and
    their keys are read as trend detection reads them, so the cost follows the clustered accounts, not the workspace
    (one LIKE scan of every post per trend took 6 minutes for 455 trends at 1M posts). A trend whose period the run
    did not cover, or that has no volume, gets no share. Call inside the caller's transaction.
    """
    from planner.trends.keys import extract_keys
    from planner.trends.params import KEY_KINDS

    run = session.get(CoordinationRun, run_id)
    trends = list(session.scalars(select(Trend)))
    measured = [t for t in trends if t.kind in KEY_KINDS and t.total_volume > 0 and _covers(run, t)]
    for t in trends:
        t.coordination_share = None
    if not measured:
        return 0
    posts = _member_posts(session, run_id, min(t.detected_at for t in measured), _period_end(measured))
    occ = extract_keys(posts, tuple(sorted({t.kind for t in measured})))
    code = {(kind, key): i for i, (kind, key) in enumerate(zip(occ.kinds, occ.keys, strict=True))}
    # The occurrences sorted by key once; each trend's are then one slice (a key no post has: an empty one).
    order = np.argsort(occ.key, kind="stable")
    wanted = np.array([code.get((t.kind, _key(t)), -1) for t in measured], dtype=np.int64)
    keys = occ.key[order]
    lows, highs = np.searchsorted(keys, wanted, "left"), np.searchsorted(keys, wanted, "right")
    created = posts["created_at"].to_numpy()
    for t, low, high in zip(measured, lows, highs, strict=True):
        at = created[occ.post[order[low:high]]]
        since = np.datetime64(t.detected_at.replace(tzinfo=None), "us")
        inside = at >= since
        if t.as_of is not None:
            inside &= at < np.datetime64(t.as_of.replace(tzinfo=None), "us")
        t.coordination_share = min(int(inside.sum()) / t.total_volume, 1.0)
    return len(measured)


def _key(trend: Trend) -> str:
    """Return a trend's key as trend detection writes it (hashtags and terms lower-case)."""
    return trend.key.lower() if trend.kind in ("hashtag", "term", "domain") else trend.key


def _covers(run: CoordinationRun, trend: Trend) -> bool:
    """Whether the run looked at every post of the trend's period (from its detection to its clock)."""
    if run.since is not None and _aware(run.since) > _aware(trend.detected_at):
        return False
    return run.until is None or (trend.as_of is not None and _aware(run.until) >= _aware(trend.as_of))


def _period_end(trends: list[Trend]) -> datetime | None:
    ends = [t.as_of for t in trends]
    return None if any(e is None for e in ends) else max(_aware(e) for e in ends)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _member_posts(session: Session, run_id: int, since: datetime, until: datetime | None) -> pd.DataFrame:
    """Return (created_at as naive UTC, text, lang, hashtags, urls) of the run's clustered accounts' posts."""
    members = session.execute(
        select(CoordinationMember.platform, CoordinationMember.author_id).where(CoordinationMember.run_id == run_id)
    ).all()
    by_platform: dict[str, list[str]] = {}
    for platform, author in members:
        by_platform.setdefault(platform, []).append(author)
    columns = [Post.created_at, Post.text, Post.lang, Post.hashtags, Post.urls]
    rows = []
    for platform, authors in by_platform.items():
        for start in range(0, len(authors), LOOKUP_POSTS):
            stmt = select(*columns).where(
                Post.platform == platform,
                Post.author_id.in_(authors[start : start + LOOKUP_POSTS]),
                Post.created_at >= since,
            )
            if until is not None:
                stmt = stmt.where(Post.created_at < until)
            rows += session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["created_at", "text", "lang", "hashtags", "urls"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True).dt.tz_localize(None).astype("datetime64[us]")
    return frame
