"""Detect trends in monitored posts: trend keys, counts per time bucket, robust spike scores, lifecycle, triage."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.lib.stride_tricks import sliding_window_view
from sqlalchemy import select
from sqlalchemy.orm import Session
from stop_words import LANGUAGE_MAPPING, get_stop_words

from planner import audit, bursts, watchlists
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import DetectionRun, Narrative, NarrativePost, Post, Trend, utcnow

KEY_KINDS = ("hashtag", "term", "url", "domain")
KINDS = (*KEY_KINDS, "narrative")
STATUSES = ("new", "watching", "respond", "ignored")
LIFECYCLES = ("emerging", "peaking", "declining", "dormant")
MIN_BUCKET = pd.Timedelta(minutes=5)
MAX_BUCKET = pd.Timedelta(days=1)
# Posts are tokenised this many at a time, so memory stays flat however many posts there are.
CHUNK_POSTS = 100_000
# Series kept with a trend for sparklines and the detail chart, in buckets.
SERIES_MAX = 720
# Occurrences processed at a time by the counting passes (bounds their working memory).
OCCURRENCE_SLICE = 2_000_000
# Cells whose baseline is computed at a time (bounds the memory of the history windows).
CELL_BATCH = 100_000
# Keys are first counted in about this many coarse buckets, to skip those that can never reach min_count.
COARSE_BUCKETS = 64
POST_COLUMNS = [
    "id",
    "created_at",
    "author_id",
    "author_handle",
    "text",
    "lang",
    "hashtags",
    "urls",
    "likes",
    "reposts",
]

Progress = Callable[[float, str], None]


class TrendError(PlannerError):
    """Detection parameters or a triage request are invalid, or the trend does not exist."""


@dataclass(frozen=True)
class DetectionParams:
    """Thresholds of the spike detector; defaults suit hourly buckets."""

    bucket: pd.Timedelta = pd.Timedelta(hours=1)
    kinds: tuple[str, ...] = KINDS
    baseline_buckets: int = 24  # the key's own past the baseline is taken from (the scored bucket excluded)
    min_score: float = 4.0  # robust z-score: (volume - median) / max(1.4826 MAD, sqrt(median), 1)
    min_count: int = 10  # posts in one bucket
    min_ratio: float = 3.0  # and at least this many times (baseline + 1): ordinary noise of busy keys is no trend
    min_authors: int = 5  # distinct accounts in that bucket, so one noisy account is not a trend
    # Buckets of known past a bucket needs before it is scored (None: a full baseline window). Before the first
    # monitored post nothing is known, so by default the first window of monitoring only feeds baselines.
    min_history: int | None = None
    recent_buckets: int = 3  # the "now" window the lifecycle and growth look at
    burst_s: float = 2.0
    burst_gamma: float = 1.0

    def as_json(self) -> str:
        d = asdict(self)
        d["bucket"] = bucket_label(self.bucket)
        return json.dumps(d)


_BUCKET_RE = re.compile(r"^(\d+)\s*(s|sec|m|min|mins|minutes?|h|hours?|d|days?)$")
_BUCKET_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60}
_BUCKET_UNITS |= {"h": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400}


def parse_bucket(text: str | pd.Timedelta) -> pd.Timedelta:
    """Return the bucket length for '5min', '15m', '1h', '1d' ...; raise TrendError outside 5 minutes..1 day."""
    if isinstance(text, pd.Timedelta):
        value = text
    else:
        match = _BUCKET_RE.match(str(text).strip().lower())
        if not match:
            raise TrendError(f"bucket: {text!r} is not a duration such as 5min, 1h or 1d")
        value = pd.Timedelta(seconds=int(match.group(1)) * _BUCKET_UNITS[match.group(2)])
    if not MIN_BUCKET <= value <= MAX_BUCKET:
        raise TrendError(f"bucket: {text!s} is outside 5 minutes to 1 day")
    return value


def bucket_label(bucket: pd.Timedelta) -> str:
    """Return '1h', '15min' or '1d' for a bucket length."""
    seconds = int(bucket.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}min"


def _bucket_words(bucket: pd.Timedelta) -> str:
    seconds = int(bucket.total_seconds())
    if seconds == 3600:
        return "hour"
    if seconds == 86400:
        return "day"
    return f"{bucket_label(bucket)} window"


# --- trend keys -----------------------------------------------------------------------------------------------------

# RE2 patterns (Arrow's regex engine); \p{L} and \p{M} are letters and marks of every script.
_TERM_NOISE_RE = r"(?:https?://|www\.)\S+|[@#][\p{L}\p{M}\p{N}_]+"
_NON_WORD_RE = r"[^\p{L}\p{M}]+"
_DOMAIN_RE = r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/?#]*@)?(?:www\.)?(?P<domain>[^/:?#]+)"
_STOP_CACHE: dict[str, frozenset[str]] = {}
_COMMON_LANGS = ("en", "fr", "de", "es", "it", "pt", "nl", "ru", "uk", "ar", "tr")
# Platform noise that is a stop word in every language.
_PLATFORM_STOP = frozenset({"rt", "via", "amp", "http", "https", "www"})


def stop_words(lang: str) -> frozenset[str]:
    """Return the stop words of a language code ('en', 'ru', 'ar', ...); all known languages' for '' or unknown."""
    code = (lang or "").strip().lower()[:2]
    if code not in _STOP_CACHE:
        if code == "en":
            from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # sklearn takes seconds to import

            words = list(ENGLISH_STOP_WORDS)  # the stop-words package's English list drops content words ("sees")
        elif code in LANGUAGE_MAPPING:
            words = get_stop_words(code)
        else:
            words = [w for c in _COMMON_LANGS for w in stop_words(c)]
        _STOP_CACHE[code] = frozenset(w.casefold() for w in words) | _PLATFORM_STOP
    return _STOP_CACHE[code]


def _arrow(series: pd.Series) -> pa.Array:
    return pa.array(series.fillna("").astype("str"), type=pa.large_string())


def _split(values: pa.Array, pattern: str) -> tuple[np.ndarray, pa.Array]:
    """Split every string on a regex; return (row positions, non-empty parts), all inside Arrow."""
    lists = pc.split_pattern_regex(values, pattern=pattern)
    parts = pc.list_flatten(lists)
    rows = pc.list_parent_indices(lists)
    keep = pc.greater(pc.utf8_length(parts), 0)
    return pc.filter(rows, keep).to_numpy().astype(np.int64), pc.filter(parts, keep)


def _terms(text: pd.Series, lang: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Return (row positions, unigram and bigram terms) after removing each post's language's stop words."""
    clean = pc.replace_substring_regex(pc.utf8_lower(_arrow(text)), pattern=_TERM_NOISE_RE, replacement=" ")
    rows, words = _split(clean, _NON_WORD_RE)
    long_enough = pc.greater_equal(pc.utf8_length(words), 2).to_numpy(zero_copy_only=False)
    langs = lang.fillna("").astype("str").str.lower().str[:2].to_numpy(dtype=object)[rows]
    keep = long_enough.copy()
    for code in pd.unique(langs):
        sel = langs == code
        stop = pc.is_in(words.filter(pa.array(sel)), value_set=pa.array(sorted(stop_words(code)), pa.large_string()))
        keep[sel] &= ~stop.to_numpy(zero_copy_only=False)
    rows, words = rows[keep], words.filter(pa.array(keep))
    # Bigrams of neighbouring words that survive the stop list, within one post.
    same = rows[1:] == rows[:-1]
    mask = pa.array(same)
    space = pa.scalar(" ", pa.large_string())
    bigrams = pc.binary_join_element_wise(words[:-1].filter(mask), words[1:].filter(mask), space)
    return np.concatenate([rows, rows[:-1][same]]), pa.concat_arrays([words, bigrams])


def _chunk_keys(chunk: pd.DataFrame, kinds: tuple[str, ...]) -> dict[str, tuple[np.ndarray, pa.Array]]:
    out: dict[str, tuple[np.ndarray, pa.Array]] = {}
    if "hashtag" in kinds:
        rows, tags = _split(pc.utf8_lower(_arrow(chunk["hashtags"])), r"[\s#]+")
        hash_sign = pa.scalar("#", pa.large_string())
        out["hashtag"] = rows, pc.binary_join_element_wise(hash_sign, tags, pa.scalar("", pa.large_string()))
    if "url" in kinds or "domain" in kinds:
        rows, urls = _split(_arrow(chunk["urls"]), r"\s+")
        if "url" in kinds:
            out["url"] = rows, urls
        if "domain" in kinds:
            domains = pc.extract_regex(pc.utf8_lower(urls), pattern=_DOMAIN_RE).field("domain")
            ok = pc.is_valid(domains).to_numpy(zero_copy_only=False)
            out["domain"] = rows[ok], domains.filter(pa.array(ok))
    if "term" in kinds:
        out["term"] = _terms(chunk["text"], chunk["lang"])
    return out


@dataclass
class Occurrences:
    """Which posts carry which trend keys, each (post, key) once: parallel arrays with the keys factorised."""

    post: np.ndarray  # row position in the posts frame
    key: np.ndarray  # code into keys / kinds
    keys: np.ndarray  # key text per code
    kinds: np.ndarray  # kind per code

    def __len__(self) -> int:
        return len(self.post)


class _Vocabulary:
    """Give every (kind, key) a stable code while chunks come in: code = position in its kind's list * 4 + kind."""

    def __init__(self) -> None:
        self.index: dict[str, pd.Index] = {kind: pd.Index([], dtype="str") for kind in KEY_KINDS}

    def codes(self, kind: str, values: pa.Array) -> np.ndarray:
        local, uniques = pd.factorize(pd.Series(values, dtype=pd.ArrowDtype(pa.large_string())).astype("str"))
        uniques = pd.Index(uniques, dtype="str")
        known = self.index[kind].get_indexer(uniques)
        new = known < 0
        known[new] = len(self.index[kind]) + np.arange(int(new.sum()))
        if new.any():
            self.index[kind] = self.index[kind].append(uniques[new])
        return (known[local] * len(KEY_KINDS) + KEY_KINDS.index(kind)).astype(np.int64)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        size = max((len(v) * len(KEY_KINDS) for v in self.index.values()), default=0)
        keys = np.full(size, "", dtype=object)
        kinds = np.full(size, "", dtype=object)
        for k, (kind, values) in enumerate(self.index.items()):
            keys[k : len(values) * len(KEY_KINDS) : len(KEY_KINDS)] = values.to_numpy(dtype=object)
            kinds[k : len(values) * len(KEY_KINDS) : len(KEY_KINDS)] = kind
        return keys, kinds


def extract_keys(
    posts: pd.DataFrame, kinds: tuple[str, ...] = KEY_KINDS, progress: Progress | None = None
) -> Occurrences:
    """Return every (post, trend key) pair of `posts` (text, lang, hashtags, urls), vectorised in chunks."""
    vocab = _Vocabulary()
    post_parts: list[np.ndarray] = []
    key_parts: list[np.ndarray] = []
    n = len(posts)
    for start in range(0, max(n, 1), CHUNK_POSTS):
        chunk = posts.iloc[start : start + CHUNK_POSTS].reset_index(drop=True)
        for kind, (rows, values) in _chunk_keys(chunk, kinds).items():
            if not len(rows):
                continue
            codes = vocab.codes(kind, values)
            pairs = np.sort(((rows + start).astype(np.int64) << 32) | codes)
            pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]  # each (post, key) once
            post_parts.append((pairs >> 32).astype(np.int32))
            key_parts.append((pairs & 0xFFFFFFFF).astype(np.int32))
        if progress:
            done = min(start + CHUNK_POSTS, n)
            progress(done / max(n, 1), f"Reading trend keys: {done:,} posts")
    keys, key_kinds = vocab.arrays()
    if not post_parts:
        return Occurrences(np.array([], np.int32), np.array([], np.int32), keys, key_kinds)
    return Occurrences(np.concatenate(post_parts), np.concatenate(key_parts), keys, key_kinds)


# --- spike detection ------------------------------------------------------------------------------------------------


@dataclass
class Detection:
    """The result of one detection pass: one row per trend, plus the bucket grid it was measured on."""

    trends: pd.DataFrame
    bucket_starts: pd.DatetimeIndex
    bucket: pd.Timedelta
    posts_scanned: int
    params: DetectionParams
    range_start: pd.Timestamp | None = None
    range_end: pd.Timestamp | None = None
    totals: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))


TREND_COLUMNS = [
    "kind",
    "key",
    "detected_at",
    "peak_at",
    "last_seen_at",
    "peak_volume",
    "total_volume",
    "unique_authors",
    "baseline",
    "growth",
    "score",
    "lifecycle",
    "explanation",
    "bursts",
    "series_start",
    "series",
    "top_accounts",
    "sample_post_ids",
]


def robust_baseline(history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (median, scale) per row of `history` (NaN = no data): scale = max(1.4826 MAD, sqrt(median), 1)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows (no history) are handled below
        med = np.nanmedian(history, axis=1)
        mad = np.nanmedian(np.abs(history - med[:, None]), axis=1)
    med = np.nan_to_num(med, nan=0.0)
    mad = np.nan_to_num(mad, nan=0.0)
    scale = np.maximum(np.maximum(1.4826 * mad, np.sqrt(np.maximum(med, 0))), 1.0)
    return med, scale


def _history(counts: np.ndarray, rows: np.ndarray, cols: np.ndarray, width: int) -> np.ndarray:
    """Return counts[rows, cols-width .. cols-1] as floats, NaN before the first bucket."""
    offsets = cols[:, None] - width + np.arange(width)[None, :]
    hist = counts[rows[:, None], np.clip(offsets, 0, None)].astype(np.float64)
    hist[offsets < 0] = np.nan
    return hist


def baseline_series(counts: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the rolling (median, scale) before each bucket of one key's series, excluding the bucket itself."""
    counts = np.asarray(counts)
    if not len(counts):
        return np.array([]), np.array([])
    cols = np.arange(len(counts))
    return robust_baseline(_history(counts[None, :], np.zeros(len(counts), dtype=np.int64), cols, width))


def classify_lifecycle(
    counts: np.ndarray, detected: int, peak: int, recent: int, min_count: int, quiet_level: float = 0.0
) -> tuple[str, float]:
    """Return (lifecycle stage, growth) of one series at its last bucket.

    growth is the relative change of the last `recent` buckets over the `recent` before them; a trend whose recent
    volume is back to `quiet_level` (its pre-trend baseline plus noise) is dormant.
    """
    end = len(counts) - 1
    now = float(counts[max(0, end - recent + 1) :].mean())
    before_slice = counts[max(0, end - 2 * recent + 1) : max(0, end - recent + 1)]
    before = float(before_slice.mean()) if len(before_slice) else 0.0
    growth = (now - before) / max(before, 1.0)
    peak_volume = float(counts[peak])
    if peak > end - recent:
        return ("emerging" if growth > 0.25 or detected > end - recent else "peaking"), growth
    if now >= 0.8 * peak_volume:
        return "peaking", growth
    if now <= quiet_level or (now < min_count and now <= 0.2 * peak_volume):
        return "dormant", growth
    return "declining", growth


def _explanation(
    peak: int, peak_at: pd.Timestamp, baseline: float, authors: int, lifecycle: str, bucket: pd.Timedelta
) -> str:
    words = _bucket_words(bucket)
    return (
        f"{peak:,} posts in the {words} from {peak_at:%Y-%m-%d %H:%M} UTC vs a baseline of {baseline:.3g} per {words}, "
        f"from {authors:,} accounts since detection; {lifecycle}"
    )


def detect(
    posts: pd.DataFrame,
    params: DetectionParams = DetectionParams(),
    *,
    score_from: datetime | None = None,
    until: datetime | None = None,
    narratives: pd.DataFrame | None = None,
    occurrences: Occurrences | None = None,
    progress: Progress | None = None,
) -> Detection:
    """Find trends in `posts` (POST_COLUMNS, created_at UTC); buckets before `score_from` only feed baselines.

    `narratives` (columns post_id, key) adds narrative clusters as keys when "narrative" is in params.kinds;
    `occurrences` (from extract_keys on the same posts) skips reading the keys again.
    """
    report = progress or (lambda _f, _m: None)
    bucket = params.bucket
    if params.baseline_buckets < 1 or params.min_count < 1 or params.min_authors < 1:
        raise TrendError("baseline_buckets, min_count and min_authors must be at least 1")
    times = pd.to_datetime(posts["created_at"], utc=True)
    if not len(posts):
        return Detection(pd.DataFrame(columns=TREND_COLUMNS), pd.DatetimeIndex([], tz="UTC"), bucket, 0, params)
    origin = times.min().floor(bucket)
    last = pd.Timestamp(until).floor(bucket) if until is not None else times.max().floor(bucket)
    if until is not None and pd.Timestamp(until) == last:
        last = last - bucket  # `until` is exclusive
    n_buckets = int((last - origin) // bucket) + 1
    bucket_starts = pd.date_range(origin, periods=n_buckets, freq=bucket)
    post_bucket = ((times - origin) // bucket).to_numpy(dtype=np.int64).astype(np.int32)
    first_scored = 0 if score_from is None else max(0, int((pd.Timestamp(score_from).floor(bucket) - origin) // bucket))
    totals = np.bincount(post_bucket[(post_bucket >= 0) & (post_bucket < n_buckets)], minlength=n_buckets)

    report(0.05, "Reading trend keys")
    if occurrences is None:
        kinds = tuple(k for k in params.kinds if k in KEY_KINDS)
        occurrences = extract_keys(posts, kinds, lambda f, m: report(0.05 + 0.5 * f, m))
    occ = occurrences
    occ = _add_narratives(occ, posts, narratives) if "narrative" in params.kinds else occ
    report(0.6, "Counting posts per key and bucket")
    # Only keys that could reach min_count in one bucket get a dense row: first by their total, then by their
    # count per coarse bucket (a bucket cannot hold more than the coarse bucket around it). The occurrences are
    # streamed in slices, so no full-length copy of them is ever made.
    kept = np.flatnonzero(np.bincount(occ.key, minlength=len(occ.keys)) >= params.min_count)
    coarse = max(1, n_buckets // COARSE_BUCKETS)
    n_coarse = n_buckets // coarse + 1
    row_of = _row_of(kept, len(occ.keys))
    coarse_counts = np.zeros(len(kept) * n_coarse, dtype=np.int64)
    for _post, row, bkt in _slices(occ, row_of, post_bucket, n_buckets):
        coarse_counts += np.bincount(row * n_coarse + bkt // coarse, minlength=len(coarse_counts))
    kept = kept[coarse_counts.reshape(len(kept), n_coarse).max(axis=1) >= params.min_count]
    row_of = _row_of(kept, len(occ.keys))
    counts = np.zeros(len(kept) * n_buckets, dtype=np.int64)
    for _post, row, bkt in _slices(occ, row_of, post_bucket, n_buckets):
        counts += np.bincount(row * n_buckets + bkt, minlength=len(counts))
    counts = counts.reshape(len(kept), n_buckets).astype(np.int32)

    report(0.7, "Scoring spikes against each key's baseline")
    cand_rows, cand_cols = _strong_cells(counts, first_scored, params)
    # Distinct accounts in each strong (key, bucket).
    author_code = pd.factorize(posts["author_id"].astype(str))[0].astype(np.int64)
    cand_mask = np.zeros(counts.shape, dtype=bool)
    cand_mask[cand_rows, cand_cols] = True
    parts = []
    for post, row, bkt in _slices(occ, row_of, post_bucket, n_buckets):
        hit = cand_mask[row, bkt]
        parts.append(pd.DataFrame({"r": row[hit], "b": bkt[hit], "a": author_code[post[hit]]}).drop_duplicates())
    triples = pd.concat(parts, ignore_index=True).drop_duplicates()
    cell_authors = triples.groupby(["r", "b"]).size()
    authors = cell_authors.reindex(pd.MultiIndex.from_arrays([cand_rows, cand_cols])).fillna(0).to_numpy()
    ok = authors >= params.min_authors
    cand_rows, cand_cols = cand_rows[ok], cand_cols[ok]
    if not len(cand_rows):
        report(1.0, "No trends found")
        return Detection(pd.DataFrame(columns=TREND_COLUMNS), bucket_starts, bucket, len(posts), params, totals=totals)
    first = pd.DataFrame({"r": cand_rows, "b": cand_cols}).groupby("r")["b"].min()
    trend_rows = first.index.to_numpy(np.int64)
    detected = first.to_numpy(np.int64)

    report(0.8, f"Describing {len(trend_rows):,} trends")
    trend_counts = counts[trend_rows]
    pre_med, pre_scale = robust_baseline(_history(counts, trend_rows, detected, params.baseline_buckets))
    after = np.where(np.arange(n_buckets)[None, :] >= detected[:, None], trend_counts, -1)
    peak = after.argmax(axis=1)
    peak_volume = trend_counts[np.arange(len(trend_rows)), peak]
    total_volume = trend_counts[:, first_scored:].sum(axis=1)
    score = (peak_volume - pre_med) / pre_scale
    # Distinct accounts and top accounts from detection to the end, reduced slice by slice to (trend, account)
    # counts; posts at each trend's peak are kept for the samples.
    n_authors = int(author_code.max()) + 1
    pair_parts, peak_parts = [], []
    for post, t, bkt in _slices(occ, _row_of(kept[trend_rows], len(occ.keys)), post_bucket, n_buckets):
        since = bkt >= detected[t]
        t, post, bkt = t[since], post[since], bkt[since]
        pair_parts.append(np.unique(t * n_authors + author_code[post], return_counts=True))
        at_peak = bkt == peak[t]
        peak_parts.append(pd.DataFrame({"t": t[at_peak], "p": post[at_peak]}))
    pairs = (
        pd.Series(np.concatenate([c for _u, c in pair_parts]))
        .groupby(np.concatenate([u for u, _c in pair_parts]))
        .sum()
    )
    per_author = pd.DataFrame(
        {"t": pairs.index.to_numpy() // n_authors, "a": pairs.index.to_numpy() % n_authors, "n": pairs.to_numpy()}
    )
    unique_authors = np.bincount(per_author["t"].to_numpy(), minlength=len(trend_rows))
    handles = posts["author_handle"].fillna("").astype(str).to_numpy(dtype=object)
    author_ids = posts["author_id"].astype(str).to_numpy(dtype=object)
    first_post_of_author = pd.Series(np.arange(len(posts))).groupby(author_code).first()
    top = per_author.sort_values(["t", "n", "a"], ascending=[True, False, True]).groupby("t").head(5)
    top_post = first_post_of_author.reindex(top["a"]).to_numpy()
    top_names = np.where(handles[top_post] != "", handles[top_post], author_ids[top_post])
    top = top.assign(name=top_names)
    top_accounts = top.groupby("t")[["name", "n"]].apply(lambda g: [[str(a), int(b)] for a, b in g.to_numpy()])
    engagement = posts["likes"].fillna(0).to_numpy(np.float64) + posts["reposts"].fillna(0).to_numpy(np.float64)
    peak_members = pd.concat(peak_parts, ignore_index=True)
    peak_members = peak_members.assign(e=engagement[peak_members["p"].to_numpy()])
    samples = (
        peak_members.sort_values(["t", "e", "p"], ascending=[True, False, True])
        .groupby("t")["p"]
        .apply(lambda s: [int(x) for x in posts["id"].to_numpy()[s.to_numpy()[:5]]])
    )

    report(0.9, "Finding bursts (Kleinberg)")
    states = bursts.kleinberg_states(trend_counts, totals, s=params.burst_s, gamma=params.burst_gamma)
    last_nonzero = n_buckets - 1 - np.argmax(trend_counts[:, ::-1] > 0, axis=1)

    keys = occ.keys[kept[trend_rows]]
    kinds = occ.kinds[kept[trend_rows]]
    rows = []
    for i in range(len(trend_rows)):
        series_from = max(0, int(detected[i]) - 3 * params.baseline_buckets)
        series_to = min(n_buckets, series_from + SERIES_MAX)
        stage, growth = classify_lifecycle(
            trend_counts[i],
            int(detected[i]),
            int(peak[i]),
            params.recent_buckets,
            params.min_count,
            quiet_level=float(pre_med[i] + 2 * pre_scale[i]),
        )
        base = float(pre_med[i])
        rows.append(
            {
                "kind": kinds[i],
                "key": keys[i],
                "detected_at": bucket_starts[detected[i]],
                "peak_at": bucket_starts[peak[i]],
                "last_seen_at": bucket_starts[last_nonzero[i]],
                "peak_volume": int(peak_volume[i]),
                "total_volume": int(total_volume[i]),
                "unique_authors": int(unique_authors[i]),
                "baseline": base,
                "growth": float(growth),
                "score": float(score[i]),
                "lifecycle": stage,
                "explanation": _explanation(
                    int(peak_volume[i]), bucket_starts[peak[i]], base, int(unique_authors[i]), stage, bucket
                ),
                "bursts": [
                    [a.isoformat(), b.isoformat()] for a, b in bursts.intervals(states[i], bucket_starts, bucket)
                ],
                "series_start": bucket_starts[series_from],
                "series": trend_counts[i, series_from:series_to].tolist(),
                "top_accounts": top_accounts.get(i, []),
                "sample_post_ids": samples.get(i, []),
            }
        )
    frame = pd.DataFrame(rows, columns=TREND_COLUMNS).sort_values("score", ascending=False, ignore_index=True)
    report(1.0, f"Found {len(frame):,} trends")
    return Detection(
        frame,
        bucket_starts,
        bucket,
        len(posts),
        params,
        range_start=bucket_starts[first_scored] if first_scored < n_buckets else None,
        range_end=bucket_starts[-1] + bucket,
        totals=totals,
    )


def _strong_cells(counts: np.ndarray, first_scored: int, params: DetectionParams) -> tuple[np.ndarray, np.ndarray]:
    """Return the (row, bucket) cells whose volume is at least min_count and min_score above their baseline."""
    width = params.baseline_buckets
    # Cheap bound first: the median is at least the window's minimum, and the scale at least sqrt of it, so
    # (count - min) / max(1, sqrt(min)) bounds the score from above; only cells passing it get a median.
    padded = np.pad(counts, ((0, 0), (width, 0)), constant_values=np.iinfo(np.int32).max)
    window_min = sliding_window_view(padded, width, axis=1)[:, : counts.shape[1]].min(axis=2).astype(np.float64)
    bound = (counts - window_min) / np.maximum(np.sqrt(np.maximum(window_min, 0)), 1.0)
    possible = (
        (counts >= params.min_count)
        & (bound >= params.min_score)
        & (counts >= params.min_ratio * (np.minimum(window_min, counts) + 1))
    )
    possible[:, :first_scored] = False
    rows, cols = np.nonzero(possible)
    min_history = width if params.min_history is None else params.min_history
    keep = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(rows), CELL_BATCH):
        r, c = rows[start : start + CELL_BATCH], cols[start : start + CELL_BATCH]
        history = _history(counts, r, c, width)
        med, scale = robust_baseline(history)
        score = (counts[r, c] - med) / scale
        keep[start : start + CELL_BATCH] = (
            (score >= params.min_score)
            & (counts[r, c] >= params.min_ratio * (med + 1))
            & ((~np.isnan(history)).sum(axis=1) >= min_history)
        )
    return rows[keep], cols[keep]


def _row_of(kept: np.ndarray, n_keys: int) -> np.ndarray:
    """Return, per key code, its row among `kept` (-1 when not kept)."""
    row_of = np.full(n_keys, -1, dtype=np.int64)
    row_of[kept] = np.arange(len(kept))
    return row_of


def _slices(occ: Occurrences, row_of: np.ndarray, post_bucket: np.ndarray, n_buckets: int):
    """Yield (post, row, bucket) for the occurrences of kept keys inside the bucket range, a slice at a time."""
    for start in range(0, len(occ), OCCURRENCE_SLICE):
        post = occ.post[start : start + OCCURRENCE_SLICE]
        row = row_of[occ.key[start : start + OCCURRENCE_SLICE]]
        bkt = post_bucket[post].astype(np.int64)
        sel = (row >= 0) & (bkt < n_buckets)
        yield post[sel], row[sel], bkt[sel]


def _add_narratives(occ: Occurrences, posts: pd.DataFrame, narratives: pd.DataFrame | None) -> Occurrences:
    if narratives is None or narratives.empty:
        return occ
    pos = pd.Series(np.arange(len(posts)), index=posts["id"].to_numpy())
    joined = narratives.assign(p=pos.reindex(narratives["post_id"].to_numpy()).to_numpy()).dropna(subset=["p"])
    codes, uniques = pd.factorize(joined["key"])
    offset = len(occ.keys)
    return Occurrences(
        np.concatenate([occ.post, joined["p"].to_numpy(np.int32)]),
        np.concatenate([occ.key, (codes + offset).astype(np.int32)]),
        np.concatenate([occ.keys, np.asarray(uniques, dtype=object)]),
        np.concatenate([occ.kinds, np.full(len(uniques), "narrative", dtype=object)]),
    )


# --- the workspace: load, run, store, list, triage ---------------------------------------------------------------


def load_posts(session: Session, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
    """Return the monitored posts created in [start, end) with the columns detection needs."""
    stmt = select(*(getattr(Post, c) for c in POST_COLUMNS))
    if start is not None:
        stmt = stmt.where(Post.created_at >= start)
    if end is not None:
        stmt = stmt.where(Post.created_at < end)
    rows = session.execute(stmt.order_by(Post.created_at, Post.id)).all()
    frame = pd.DataFrame(rows, columns=POST_COLUMNS)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


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
) -> DetectionRun:
    """Detect trends among the posts in [since, until) and store them; triage statuses of known trends are kept.

    Raises PermissionDenied or TrendError.
    """
    require(actor, Action.RUN_DETECTION)
    with atomic(session):
        run = run_detection(session, actor, since, until, bucket, kinds, params, progress)
    return run


def run_detection(
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    bucket: str | pd.Timedelta = "1h",
    kinds: tuple[str, ...] | None = None,
    params: DetectionParams | None = None,
    progress: Progress | None = None,
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
    report = progress or (lambda _f, _m: None)
    report(0.0, "Loading monitored posts")
    history_from = since - params.bucket * params.baseline_buckets if since else None
    posts = load_posts(session, history_from, until)
    narratives = _narrative_keys(session) if "narrative" in kinds else None
    result = detect(
        posts,
        params,
        score_from=since,
        until=until,
        narratives=narratives,
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
        f"{len(result.trends)} trends ({new} new) in {result.posts_scanned:,} posts, "
        f"bucket {bucket_label(params.bucket)}, kinds {','.join(kinds)}",
    )
    report(1.0, f"Found {len(result.trends):,} trends")
    return run


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
        trend.detected_at = rec["detected_at"].to_pydatetime()
        trend.peak_at = rec["peak_at"].to_pydatetime()
        trend.last_seen_at = rec["last_seen_at"].to_pydatetime()
        trend.series_start = rec["series_start"].to_pydatetime()
        for name in ("peak_volume", "total_volume", "unique_authors", "baseline", "growth", "score"):
            setattr(trend, name, rec[name])
        trend.lifecycle = rec["lifecycle"]
        trend.explanation = rec["explanation"]
        for name in ("bursts", "series", "top_accounts", "sample_post_ids"):
            setattr(trend, name, json.dumps(rec[name]))
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
            f"{trend.coordination_share:.0%} of its posts came from accounts acting in coordination (a signal, "
            "not proof of who is behind it)"
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
    """Return stored trends matching `flt`: watchlisted first, then by score."""
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
    stmt = stmt.order_by(Trend.watchlisted.desc(), Trend.score.desc(), Trend.id)
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
]


def trend_record(trend: Trend) -> dict:
    """Return a trend as the plain record the CLI prints and pages show (ISO 8601 UTC times)."""
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
    }


def trends_frame(trends: list[Trend]) -> pd.DataFrame:
    """Return trends as a table for pages, with the series for sparklines."""
    records = []
    for t in trends:
        rec = trend_record(t)
        rec["detected_at"], rec["peak_at"] = t.detected_at, t.peak_at
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
    """Posts per bucket of one trend, with the rolling baseline the detector compared it to."""

    frame: pd.DataFrame  # bucket_start, posts, baseline, threshold
    bursts: list[tuple[datetime, datetime]]
    detected_at: datetime


def trend_series(trend: Trend, baseline_buckets: int = DetectionParams.baseline_buckets) -> TrendSeries:
    """Return the stored series of `trend` with its rolling baseline (the scored bucket excluded)."""
    counts = np.asarray(json.loads(trend.series or "[]"), dtype=np.int64)
    bucket = pd.Timedelta(seconds=trend.bucket_seconds or 3600)
    start = pd.Timestamp(trend.series_start or trend.detected_at)
    med, scale = baseline_series(counts, baseline_buckets)
    frame = pd.DataFrame(
        {
            "bucket_start": pd.date_range(start, periods=len(counts), freq=bucket),
            "posts": counts,
            "baseline": med,
            "threshold": med + DetectionParams.min_score * scale,
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
        trend = get_trend(session, trend_id)
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
    """Return trends first stored after `when` (all when None), best first."""
    stmt = select(Trend).order_by(Trend.watchlisted.desc(), Trend.score.desc()).limit(limit)
    if when is not None:
        stmt = stmt.where(Trend.first_stored_at > when)
    return list(session.scalars(stmt))


def latest_run(session: Session) -> DetectionRun | None:
    """Return the most recent detection run, or None."""
    return session.scalar(select(DetectionRun).order_by(DetectionRun.id.desc()).limit(1))
