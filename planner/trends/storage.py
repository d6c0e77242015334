"""Stored trends: run detection on the workspace, keep triage across runs, list, describe and triage trends."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from planner import audit, preload, watchlists, wording
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.models import DetectionRun, Narrative, NarrativePost, Post, Trend, utcnow
from planner.trends import keys as trend_keys
from planner.trends import lifecycle, scoring
from planner.trends.detection import Detection, detect
from planner.trends.params import KINDS, STATUSES, DetectionParams, Progress, TrendError, bucket_label, parse_bucket
from planner.trends.reading import POST_SCHEMA, count_posts, frame, read_posts, scan_posts

# Columns detection needs once the keys of the posts are read.
_KEPT_COLUMNS = ["id", "created_at", "author_id", "author_handle", "likes", "reposts"]


def load_posts(session: Session, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
    """Return the monitored posts created in [start, end) with the columns detection needs (POST_COLUMNS)."""
    return read_posts(session, start, end)


def _posts_and_keys(
    session: Session, start: datetime | None, end: datetime | None, kinds: tuple[str, ...], report: Progress
) -> tuple[pd.DataFrame, trend_keys.Occurrences | None]:
    """Return the posts detection reads (without their text) and their keys.

    Posts come a chunk at a time and each chunk's keys are read while the next chunk is: only the columns
    detection still needs afterwards are kept, so no text is held for long.
    """
    total = count_posts(session, start, end)
    key_kinds = tuple(k for k in kinds if k in trend_keys.KEY_KINDS)
    # SciPy's modules for scoring and folding load while the posts are read (0.1-0.2 s off the command's time):
    # reading mostly waits for the reader process and the tokenising threads.
    preload.in_background(_LATER_MODULES, "trends-preload")

    def consume(chunks) -> tuple[pa.Table, trend_keys.Occurrences]:
        kept = []

        def keep(chunk: pa.Table, seen: int) -> None:
            kept.append(_owned(chunk.select(_KEPT_COLUMNS)))
            report(0.05 * seen / max(total, 1), f"Reading monitored posts and their keys: {seen:,} of {total:,}")

        occurrences = trend_keys.read_keys(chunks, key_kinds, total, keep)
        return pa.concat_tables(kept) if kept else POST_SCHEMA.empty_table().select(_KEPT_COLUMNS), occurrences

    table, occurrences = scan_posts(session, consume, start, end, trend_keys.CHUNK_POSTS, total)
    return frame(table), occurrences


# Modules detection imports on first use, after reading the posts.
_LATER_MODULES = ("scipy.special._ufuncs", "scipy.sparse")


def _owned(table: pa.Table) -> pa.Table:
    """Return a copy of `table` in buffers of its own.

    Columns read from an Arrow stream are views into the message they came in, which holds every column: keeping
    a few columns of each chunk as views would keep every post's text too (2 GB of 5.7 GB at 10M posts).
    """
    return pa.table([pa.concat_arrays(c.chunks) if c.num_chunks else c for c in table.columns], schema=table.schema)


def _narrative_keys(session: Session) -> pd.DataFrame:
    rows = session.execute(select(NarrativePost.post_id, Narrative.label).join(Narrative)).all()
    return pd.DataFrame(rows, columns=["post_id", "key"])


def _as_utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise TrendError(f"{name}: give a time zone (e.g. 2026-11-10T18:00Z)")
    return value


def detect_trends(
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    bucket: str | pd.Timedelta = "1h",
    kinds: tuple[str, ...] | None = None,
    params: DetectionParams | None = None,
    progress: Progress | None = None,
    as_of: datetime | str | None = None,
) -> DetectionRun:
    """Detect trends among the posts in [since, until) and store them; triage statuses of known trends are kept.

    `as_of` is the lifecycle clock: a time, 'now', 'newest' (the newest post), or None (now for live data, else
    the newest post). Raises PermissionDenied or TrendError.
    """
    require(actor, Action.RUN_DETECTION)
    with atomic(session):
        run = run_detection(session, actor, since, until, bucket, kinds, params, progress, as_of)
    return run


def _newest_post(session: Session, since: datetime | None, until: datetime | None) -> datetime | None:
    stmt = select(Post.created_at).order_by(Post.created_at.desc()).limit(1)
    if since is not None:
        stmt = stmt.where(Post.created_at >= since)
    if until is not None:
        stmt = stmt.where(Post.created_at < until)
    return session.scalar(stmt)


def run_detection(
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    bucket: str | pd.Timedelta = "1h",
    kinds: tuple[str, ...] | None = None,
    params: DetectionParams | None = None,
    progress: Progress | None = None,
    as_of: datetime | str | None = None,
    now: datetime | None = None,
) -> DetectionRun:
    """Do the work of detect_trends inside the caller's transaction (the demo loader uses it); does not commit."""
    since, until = _as_utc(since, "since"), _as_utc(until, "until")
    if since and until and since >= until:
        raise TrendError("since must be before until")
    kinds = tuple(kinds or KINDS)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise TrendError(f"kind: {', '.join(sorted(unknown))} is not one of {', '.join(KINDS)}")
    base = params or DetectionParams()
    params = DetectionParams(**{**asdict(base), "bucket": parse_bucket(bucket), "kinds": kinds})
    params.check()
    clock = lifecycle.resolve_clock(_newest_post(session, since, until), params.bucket, as_of, until, now)
    if until is None or clock.as_of < pd.Timestamp(until):
        until = clock.as_of.to_pydatetime()
    if since and since >= until:
        raise TrendError(f"since must be before the clock ({clock.describe()})")
    report = progress or (lambda _f, _m: None)
    report(0.0, "Loading monitored posts")
    history_from = since - params.bucket * params.baseline_buckets if since else None
    posts, occurrences = _posts_and_keys(session, history_from, until, kinds, report)
    narratives = _narrative_keys(session) if "narrative" in kinds else None
    result = detect(
        posts,
        params,
        score_from=since,
        until=until,
        clock=clock,
        narratives=narratives,
        occurrences=occurrences,
        progress=lambda f, m: report(0.05 + 0.85 * f, m),
    )
    report(0.95, "Saving trends")
    run = DetectionRun(
        actor_name=actor.username,
        range_start=result.range_start.to_pydatetime() if result.range_start is not None else since,
        range_end=result.range_end.to_pydatetime() if result.range_end is not None else until,
        bucket_seconds=int(params.bucket.total_seconds()),
        kinds=",".join(kinds),
        params=params.as_json(),
        posts_scanned=result.posts_scanned,
        trends_found=len(result.trends),
        as_of=clock.as_of.to_pydatetime(),
        clock=clock.kind,
    )
    session.add(run)
    session.flush()
    new = _store(session, run, result)
    watchlists.refresh_flags(session)
    run.finished_at = utcnow()
    audit.record(
        session,
        actor,
        "trends.detect",
        "detection_run",
        run.id,
        f"{wording.plural(len(result.trends), 'trend')} ({new} new) in {wording.plural(result.posts_scanned, 'post')}, "
        f"bucket {bucket_label(params.bucket)}, kinds {','.join(kinds)}, lifecycle {clock.describe()}",
    )
    report(1.0, f"Found {wording.plural(len(result.trends), 'trend')}")
    return run


_COPIED = ("peak_volume", "total_volume", "unique_authors", "baseline", "excess", "surprise", "growth", "score")


def _store(session: Session, run: DetectionRun, result: Detection) -> int:
    """Upsert the detected trends by (kind, key); return how many are new. Triage fields are never touched."""
    frame = result.trends
    if frame.empty:
        return 0
    existing = {
        (t.kind, t.key): t
        for t in session.scalars(select(Trend).where(Trend.key.in_(frame["key"].astype(str).tolist())))
    }
    now = utcnow()
    new = 0
    for rec in frame.to_dict("records"):
        trend = existing.get((rec["kind"], rec["key"]))
        if trend is None:
            trend = Trend(kind=rec["kind"], key=rec["key"], label=rec["key"], status="new", first_stored_at=now)
            session.add(trend)
            new += 1
        for name in ("detected_at", "peak_at", "last_seen_at", "series_start", "as_of"):
            setattr(trend, name, rec[name].to_pydatetime())
        for name in _COPIED:
            setattr(trend, name, rec[name])
        trend.lifecycle = rec["lifecycle"]
        trend.explanation = rec["explanation"]
        for name in ("bursts", "series", "top_accounts", "sample_post_ids", "also"):
            setattr(trend, name, json.dumps(rec[name], ensure_ascii=False))
        trend.bucket_seconds = run.bucket_seconds
        trend.run_id = run.id
        trend.updated_at = now
    session.flush()
    return new


def explanation_for(trend: Trend) -> str:
    """Return the trend's one-line explanation, with its coordination share and watchlist flag when known."""
    parts = [trend.explanation]
    if trend.coordination_share is not None:
        parts.append(
            f"{trend.coordination_share:.0%} of its posts since detection came from accounts acting in coordination "
            "(a signal, not proof of who is behind it)"
        )
    if trend.watchlisted:
        parts.append("on a watchlist")
    return "; ".join(p for p in parts if p)


@dataclass(frozen=True)
class TrendFilter:
    kinds: tuple[str, ...] = ()
    lifecycles: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    watchlisted_only: bool = False
    since: datetime | None = None  # detected at or after
    until: datetime | None = None  # detected before
    run_id: int | None = None  # found by this detection run


def query_trends(session: Session, flt: TrendFilter = TrendFilter(), limit: int | None = None) -> list[Trend]:
    """Return stored trends matching `flt`, best score first (watchlist matches are marked, not moved up)."""
    stmt = select(Trend)
    if flt.kinds:
        stmt = stmt.where(Trend.kind.in_(flt.kinds))
    if flt.lifecycles:
        stmt = stmt.where(Trend.lifecycle.in_(flt.lifecycles))
    if flt.statuses:
        stmt = stmt.where(Trend.status.in_(flt.statuses))
    if flt.watchlisted_only:
        stmt = stmt.where(Trend.watchlisted.is_(True))
    if flt.since:
        stmt = stmt.where(Trend.detected_at >= flt.since)
    if flt.until:
        stmt = stmt.where(Trend.detected_at < flt.until)
    if flt.run_id is not None:
        stmt = stmt.where(Trend.run_id == flt.run_id)
    stmt = stmt.order_by(Trend.score.desc(), Trend.id)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


RECORD_COLUMNS = [
    "id",
    "key",
    "kind",
    "detected_at",
    "peak_at",
    "peak_volume",
    "total_volume",
    "unique_authors",
    "score",
    "growth",
    "lifecycle",
    "bursts",
    "watchlisted",
    "coordination_share",
    "status",
    "explanation",
    "baseline",
    "excess",
    "also",
    "as_of",
]


def trend_record(trend: Trend) -> dict:
    """Return a trend as the plain record the CLI prints and pages show (ISO 8601 UTC times).

    peak_volume and unique_authors both describe the peak bucket; total_volume runs from detection to as_of.
    """
    return {
        "id": trend.id,
        "key": trend.key,
        "kind": trend.kind,
        "detected_at": trend.detected_at.isoformat(),
        "peak_at": trend.peak_at.isoformat(),
        "peak_volume": trend.peak_volume,
        "total_volume": trend.total_volume,
        "unique_authors": trend.unique_authors,
        "score": round(trend.score, 2),
        "growth": round(trend.growth, 3),
        "lifecycle": trend.lifecycle,
        "bursts": json.loads(trend.bursts or "[]"),
        "watchlisted": trend.watchlisted,
        "coordination_share": trend.coordination_share,
        "status": trend.status,
        "explanation": explanation_for(trend),
        "baseline": round(trend.baseline, 2),
        "excess": round(trend.excess, 1),
        "also": json.loads(trend.also or "[]"),
        "as_of": trend.as_of.isoformat() if trend.as_of else None,
    }


def trends_frame(trends: list[Trend]) -> pd.DataFrame:
    """Return trends as a table for pages, with the series for sparklines."""
    records = []
    for t in trends:
        rec = trend_record(t)
        rec["detected_at"], rec["peak_at"], rec["as_of"] = t.detected_at, t.peak_at, t.as_of
        rec["series"] = json.loads(t.series or "[]")
        records.append(rec)
    return pd.DataFrame(records, columns=[*RECORD_COLUMNS, "series"])


def get_trend(session: Session, trend_id: int) -> Trend:
    """Return the trend with id `trend_id`; raise TrendError when there is none."""
    trend = session.get(Trend, trend_id)
    if trend is None:
        raise TrendError(f"no trend with id {trend_id}")
    return trend


@dataclass
class TrendSeries:
    """Posts per bucket of one trend, with the count the model expected and the least a bucket needs to count."""

    frame: pd.DataFrame  # bucket_start, posts, expected, needed
    bursts: list[tuple[datetime, datetime]]
    detected_at: datetime


def trend_series(trend: Trend, params: DetectionParams | None = None) -> TrendSeries:
    """Return the stored series of `trend` with the model's expected count per bucket (from the series alone)."""
    params = params or DetectionParams()
    counts = np.asarray(json.loads(trend.series or "[]"), dtype=np.int64)
    bucket = pd.Timedelta(seconds=trend.bucket_seconds or 3600)
    start = pd.Timestamp(trend.series_start or trend.detected_at)
    expected = scoring.expected_counts(counts, params).mean[0] if len(counts) else np.array([])
    frame = pd.DataFrame(
        {
            "bucket_start": pd.date_range(start, periods=len(counts), freq=bucket),
            "posts": counts,
            "expected": expected,
            "needed": np.maximum(params.min_count, params.min_ratio * (expected + 1)),
        }
    )
    spans = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in json.loads(trend.bursts or "[]")]
    return TrendSeries(frame, spans, trend.detected_at)


def trend_posts(session: Session, trend: Trend) -> pd.DataFrame:
    """Return the sample monitored posts of a trend (the most engaged at its peak)."""
    ids = json.loads(trend.sample_post_ids or "[]")
    if not ids:
        return pd.DataFrame(columns=["id", "created_at", "author_handle", "text", "likes", "reposts"])
    rows = session.execute(
        select(Post.id, Post.created_at, Post.author_handle, Post.text, Post.likes, Post.reposts).where(
            Post.id.in_(ids)
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "created_at", "author_handle", "text", "likes", "reposts"])
    return frame.set_index("id").reindex(ids).dropna(subset=["text"]).reset_index()


def top_accounts(trend: Trend) -> pd.DataFrame:
    """Return the accounts that posted the trend most since it was detected."""
    return pd.DataFrame(json.loads(trend.top_accounts or "[]"), columns=["account", "posts"])


def set_status(session: Session, actor: Actor, trend_id: int, status: str, note: str = "") -> Trend:
    """Set a trend's triage status (new, watching, respond, ignored) with a note.

    Raises TrendError or PermissionDenied.
    """
    require(actor, Action.TRIAGE_TRENDS)
    if status not in STATUSES:
        raise TrendError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    with atomic(session):
        trend = change_status(session, actor, get_trend(session, trend_id), status, note)
    return trend


def change_status(session: Session, actor: Actor, trend: Trend, status: str, note: str = "") -> Trend:
    """Do the work of set_status inside the caller's transaction (the demo loader uses it); does not commit."""
    before = trend.status
    trend.status = status
    trend.status_note = (note or "").strip()
    trend.updated_at = utcnow()
    summary = f"{trend.kind} {trend.key}: {before} -> {status}"
    if trend.status_note:
        summary += f" ({trend.status_note})"
    audit.record(session, actor, "trend.status", "trend", trend.id, summary)
    return trend


def new_since(session: Session, when: datetime | None, limit: int = 10) -> list[Trend]:
    """Return trends first stored after `when` (all when None), best score first."""
    stmt = select(Trend).order_by(Trend.score.desc(), Trend.id).limit(limit)
    if when is not None:
        stmt = stmt.where(Trend.first_stored_at > when)
    return list(session.scalars(stmt))


def trend_choices(session: Session, limit: int = 200) -> dict[int, str]:
    """Return trends for pickers as {id: 'key (kind, status)'}: those marked respond first, then best score."""
    respond_first = case((Trend.status == "respond", 0), else_=1)
    rows = session.execute(
        select(Trend.id, Trend.key, Trend.kind, Trend.status)
        .order_by(respond_first, Trend.score.desc(), Trend.id)
        .limit(limit)
    ).all()
    return {
        i: f"{key} ({wording.label(kind, 'kind').lower()}, {wording.label(status, 'triage').lower()})"
        for i, key, kind, status in rows
    }


def latest_run(session: Session) -> DetectionRun | None:
    """Return the most recent detection run, or None."""
    return session.scalar(select(DetectionRun).order_by(DetectionRun.id.desc()).limit(1))


def run_clock(run: DetectionRun) -> lifecycle.Clock | None:
    """Return the lifecycle clock a detection run used, or None for runs stored before clocks were recorded."""
    if run.as_of is None or run.clock not in lifecycle.CLOCKS:
        return None
    return lifecycle.Clock(pd.Timestamp(run.as_of).tz_convert("UTC"), run.clock)
