"""Find trends in a frame of posts: count keys, test every (key, bucket) cell, describe and fold the discoveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner import bursts, wording
from planner.trends import counting, folding, lifecycle, scoring
from planner.trends.keys import KEY_KINDS, Occurrences, add_narratives, extract_keys
from planner.trends.params import DetectionParams, Progress

if TYPE_CHECKING:
    import scipy.sparse as sp

# Series kept with a trend for sparklines and the detail chart, in buckets.
SERIES_MAX = 720
TREND_COLUMNS = [
    "kind",
    "key",
    "detected_at",
    "peak_at",
    "last_seen_at",
    "peak_volume",  # posts in the peak bucket
    "unique_authors",  # distinct accounts in the same peak bucket
    "total_volume",  # posts from detection to the clock
    "baseline",  # expected posts per bucket when the trend was detected
    "excess",  # peak_volume - baseline
    "surprise",  # -log10 p of the most improbable bucket
    "growth",
    "score",
    "lifecycle",
    "as_of",
    "also",
    "explanation",
    "bursts",
    "series_start",
    "series",
    "top_accounts",
    "sample_post_ids",
]


@dataclass
class Detection:
    """The result of one detection pass: one row per trend, plus the bucket grid it was measured on."""

    trends: pd.DataFrame
    bucket_starts: pd.DatetimeIndex
    bucket: pd.Timedelta
    posts_scanned: int
    params: DetectionParams
    clock: lifecycle.Clock | None = None
    range_start: pd.Timestamp | None = None
    range_end: pd.Timestamp | None = None
    totals: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    tested_cells: int = 0


def _bucket_words(bucket: pd.Timedelta) -> str:
    seconds = int(bucket.total_seconds())
    return {3600: "hour", 86400: "day"}.get(seconds, f"{seconds // 60} minutes")


def explanation(rec: dict, bucket: pd.Timedelta) -> str:
    """Return the one-line reason a trend is one: the peak against what was expected, its accounts, its stage."""
    words = _bucket_words(bucket)
    return (
        f"{rec['peak_volume']:,} posts in the {words} from {wording.when(rec['peak_at'])} where "
        f"{rec['baseline']:.1f} were expected ({rec['excess']:+,.0f}), from {rec['unique_authors']:,} accounts; "
        f"{rec['lifecycle']} as of {wording.when(rec['as_of'])}"
    )


def _empty(posts, params, grid=None, clock=None, tested=0) -> Detection:
    starts = grid.starts if grid is not None else pd.DatetimeIndex([], tz="UTC")
    totals = grid.totals if grid is not None else np.array([], dtype=np.int64)
    return Detection(
        pd.DataFrame(columns=TREND_COLUMNS), starts, params.bucket, len(posts), params, clock, totals=totals,
        tested_cells=tested,
    )  # fmt: skip


def detect(
    posts: pd.DataFrame,
    params: DetectionParams | None = None,
    *,
    score_from: datetime | None = None,
    until: datetime | None = None,
    clock: lifecycle.Clock | None = None,
    narratives: pd.DataFrame | None = None,
    occurrences: Occurrences | None = None,
    progress: Progress | None = None,
) -> Detection:
    """Find trends in `posts` (POST_COLUMNS, created_at UTC); buckets before `score_from` only feed expectations.

    `clock` is the time lifecycle is computed at (default: now for live data, else the newest post); posts after it
    are left out. `narratives` (post_id, key) adds narrative clusters as keys when "narrative" is in params.kinds;
    `occurrences` (from extract_keys on the same posts) skips reading the keys again. Raises TrendError.
    """
    report = progress or (lambda _f, _m: None)
    params = params or DetectionParams()
    params.check()
    if not len(posts):
        return _empty(posts, params, clock=clock)
    times = pd.to_datetime(posts["created_at"], utc=True)
    clock = clock or lifecycle.resolve_clock(times.max(), params.bucket, until=until)
    end = clock.as_of if until is None else min(clock.as_of, pd.Timestamp(until))
    if end <= times.min().floor(params.bucket):
        return _empty(posts, params, clock=clock)
    grid = counting.make_grid(times, params.bucket, end, score_from)

    report(0.05, "Reading trend keys")
    if occurrences is None:
        kinds = tuple(k for k in params.kinds if k in KEY_KINDS)
        occurrences = extract_keys(posts, kinds, lambda f, m: report(0.05 + 0.5 * f, m))
    occ = add_narratives(occurrences, posts, narratives) if "narrative" in params.kinds else occurrences

    report(0.6, "Counting posts per key and bucket")
    counted = counting.count_keys(occ, grid, params.min_count)
    counts = counted.counts

    report(0.7, "Testing every key and bucket against its expected count")
    rows, cols, expected, log_p = scoring.significant_cells(counts, grid.first_scored, counted.tested_cells, params)
    author_code = pd.factorize(posts["author_id"].astype(str))[0].astype(np.int64)
    authors = counting.cell_authors(occ, grid, counted.keys, author_code, (rows, cols))
    ok = authors >= params.min_authors
    cells = pd.DataFrame({"r": rows[ok], "b": cols[ok], "mu": expected[ok], "s": scoring.surprise(log_p[ok])})
    if cells.empty:
        report(1.0, "No trends found")
        return _empty(posts, params, grid, clock, counted.tested_cells)
    by_key = cells.sort_values(["r", "b"]).groupby("r")
    first = by_key.first()
    trend_rows = first.index.to_numpy(np.int64)
    detected = first["b"].to_numpy(np.int64)
    baseline = first["mu"].to_numpy(np.float64)
    surprise = by_key["s"].max().to_numpy(np.float64)

    report(0.8, f"Describing {wording.plural(len(trend_rows), 'trend')}")
    n_buckets = grid.n_buckets
    trend_counts = counts[trend_rows]
    after = np.where(np.arange(n_buckets)[None, :] >= detected[:, None], trend_counts, -1)
    peak = after.argmax(axis=1)
    peak_volume = trend_counts[np.arange(len(trend_rows)), peak]
    total_volume = after.clip(min=0).sum(axis=1)
    described = _describe(posts, occ, grid, counted.keys[trend_rows], author_code, detected, peak)
    excess = np.maximum(peak_volume - baseline, 0.0)
    score = scoring.rank_score(excess, described["peak_authors"], surprise)

    report(0.85, "Folding keys that burst in the same posts")
    keys = occ.keys[counted.keys[trend_rows]]
    kinds = occ.kinds[counted.keys[trend_rows]]
    head = folding.fold(kinds, keys, score, described["window_members"], params.fold_overlap, described["carriers"])
    heads = np.flatnonzero(head == np.arange(len(head)))
    also = {int(h): [] for h in heads}
    for i in np.argsort(-score, kind="stable"):
        if head[i] != i:
            also[int(head[i])].append(str(keys[i]))

    report(0.9, "Finding bursts (Kleinberg) and lifecycle")
    states = bursts.kleinberg_states(trend_counts[heads], grid.totals, s=params.burst_s, gamma=params.burst_gamma)
    last_nonzero = n_buckets - 1 - np.argmax(trend_counts[:, ::-1] > 0, axis=1)
    starts = grid.starts
    fraction = float((end - starts[-1]) / params.bucket)
    quiet = baseline + 2 * np.sqrt(baseline) + 1
    day = pd.Timedelta(days=1)
    per_day = int(day / params.bucket) if day % params.bucket == pd.Timedelta(0) else 0  # for the usual level by hour
    records = []
    for n, i in enumerate(heads):
        recent = lifecycle.recent_counts(trend_counts[i], fraction)
        stage, growth = lifecycle.classify_lifecycle(
            recent,
            int(detected[i]),
            int(peak[i]),
            params.recent_buckets,
            params.min_count,
            float(quiet[i]),
            per_day,
        )
        series_from = max(0, n_buckets - SERIES_MAX, int(detected[i]) - 3 * params.baseline_buckets)
        rec = {
            "kind": kinds[i],
            "key": keys[i],
            "detected_at": starts[detected[i]],
            "peak_at": starts[peak[i]],
            "last_seen_at": starts[last_nonzero[i]],
            "peak_volume": int(peak_volume[i]),
            "unique_authors": int(described["peak_authors"][i]),
            "total_volume": int(total_volume[i]),
            "baseline": float(baseline[i]),
            "excess": float(excess[i]),
            "surprise": float(surprise[i]),
            "growth": float(growth),
            "score": float(score[i]),
            "lifecycle": stage,
            "as_of": clock.as_of,
            "also": also[int(i)],
            "bursts": [[a.isoformat(), b.isoformat()] for a, b in bursts.intervals(states[n], starts, params.bucket)],
            "series_start": starts[series_from],
            "series": trend_counts[i, series_from : series_from + SERIES_MAX].tolist(),
            "top_accounts": described["top_accounts"].get(i, []),
            "sample_post_ids": described["samples"].get(i, []),
        }
        rec["explanation"] = explanation(rec, params.bucket)
        records.append(rec)
    frame = pd.DataFrame(records, columns=TREND_COLUMNS).sort_values("score", ascending=False, ignore_index=True)
    report(1.0, f"Found {wording.plural(len(frame), 'trend')}")
    return Detection(
        frame,
        starts,
        params.bucket,
        len(posts),
        params,
        clock,
        range_start=starts[grid.first_scored] if grid.first_scored < n_buckets else None,
        range_end=end,
        totals=grid.totals,
        tested_cells=counted.tested_cells,
    )


def _describe(posts, occ, grid, key_codes, author_code, detected, peak) -> dict:
    """Return, per trend: accounts at the peak, top accounts since detection, sample posts, posts around the peak."""
    n = len(key_codes)
    n_authors = int(author_code.max()) + 1
    pair_parts, peak_parts, window_parts, carrier_parts = [], [], [], []
    for post, t, bkt in counting.slices(occ, counting.row_of(key_codes, len(occ.keys)), grid):
        carrier_parts.append((t, post))
        since = bkt >= detected[t]
        t, post, bkt = t[since], post[since], bkt[since]
        pair_parts.append(np.unique(t * n_authors + author_code[post], return_counts=True))
        peak_parts.append(pd.DataFrame({"t": t[bkt == peak[t]], "p": post[bkt == peak[t]]}))
        near = np.abs(bkt - peak[t]) <= folding.PEAK_HALF_WIDTH
        window_parts.append((t[near], post[near]))
    pairs = (
        pd.Series(np.concatenate([c for _u, c in pair_parts]))
        .groupby(np.concatenate([u for u, _c in pair_parts]))
        .sum()
    )
    per_author = pd.DataFrame(
        {"t": pairs.index.to_numpy() // n_authors, "a": pairs.index.to_numpy() % n_authors, "n": pairs.to_numpy()}
    )
    first_post_of_author = pd.Series(np.arange(len(posts))).groupby(author_code).first()
    top = per_author.sort_values(["t", "n", "a"], ascending=[True, False, True]).groupby("t").head(5)
    top_post = first_post_of_author.reindex(top["a"]).to_numpy()
    # Names of the top accounts only (not a Python string per post).
    handles = posts["author_handle"].iloc[top_post].fillna("").astype(str).to_numpy(dtype=object)
    author_ids = posts["author_id"].iloc[top_post].astype(str).to_numpy(dtype=object)
    top = top.assign(name=np.where(handles != "", handles, author_ids))
    top_accounts = top.groupby("t")[["name", "n"]].apply(lambda g: [[str(a), int(b)] for a, b in g.to_numpy()])
    engagement = posts["likes"].fillna(0).to_numpy(np.float64) + posts["reposts"].fillna(0).to_numpy(np.float64)
    at_peak = pd.concat(peak_parts, ignore_index=True)
    peak_authors = (
        pd.DataFrame({"t": at_peak["t"], "a": author_code[at_peak["p"].to_numpy()]})
        .drop_duplicates()
        .groupby("t")
        .size()
        .reindex(range(n), fill_value=0)
        .to_numpy()
    )
    at_peak = at_peak.assign(e=engagement[at_peak["p"].to_numpy()])
    ids = posts["id"].to_numpy()
    samples = (
        at_peak.sort_values(["t", "e", "p"], ascending=[True, False, True])
        .groupby("t")["p"]
        .apply(lambda s: [int(x) for x in ids[s.to_numpy()[:5]]])
    )
    return {
        "peak_authors": peak_authors,
        "top_accounts": top_accounts,
        "samples": samples,
        "window_members": _membership(window_parts, n, len(posts)),
        "carriers": _membership(carrier_parts, n, len(posts)),
    }


def _membership(parts: list[tuple[np.ndarray, np.ndarray]], n_trends: int, n_posts: int) -> sp.csr_matrix:
    """Return a 0/1 (trends x posts) matrix from (trend, post) array pairs."""
    import scipy.sparse as sp  # loaded on first use: commands that only read trends start faster

    t = np.concatenate([t for t, _p in parts] or [np.zeros(0, np.int64)])
    p = np.concatenate([p for _t, p in parts] or [np.zeros(0, np.int64)]).astype(np.int64)
    return sp.csr_matrix((np.ones(len(t)), (t, p)), shape=(n_trends, n_posts))
