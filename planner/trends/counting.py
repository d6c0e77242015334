"""Posts per (key, bucket): the bucket grid, dense counts of the keys that can trend, accounts per cell."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

import numpy as np
import pandas as pd

from planner.trends.keys import Occurrences

# Occurrences processed at a time by the counting passes (bounds their working memory).
OCCURRENCE_SLICE = 2_000_000
# Threads cutting slices of occurrences ahead of the pass that reads them.
SLICE_THREADS = 2
# Keys are first counted in about this many coarse buckets, to skip those that can never reach min_count.
COARSE_BUCKETS = 64
# Dense counts are built for at most about this many (key, bucket) cells at once (int32): more take more passes.
BLOCK_CELLS = 50_000_000

T = TypeVar("T")


@dataclass
class Grid:
    """Buckets from the first post to the clock: which bucket each post falls in, and all posts per bucket."""

    origin: pd.Timestamp
    bucket: pd.Timedelta
    n_buckets: int
    post_bucket: np.ndarray  # bucket per post; outside [0, n_buckets) when the post is after the clock
    first_scored: int  # buckets before it only feed the expected counts
    totals: np.ndarray  # posts per bucket

    @property
    def starts(self) -> pd.DatetimeIndex:
        return pd.date_range(self.origin, periods=self.n_buckets, freq=self.bucket)


def make_grid(times: pd.Series, bucket: pd.Timedelta, end: pd.Timestamp, score_from=None) -> Grid:
    """Return the grid of `bucket`s from the first of `times` up to `end` (exclusive; a last bucket may be partial)."""
    times = pd.to_datetime(times, utc=True)
    origin = times.min().floor(bucket)
    n_buckets = max(1, int(-((origin - pd.Timestamp(end)) // bucket)))
    post_bucket = ((times - origin) // bucket).to_numpy(dtype=np.int64)
    post_bucket = np.where((times >= pd.Timestamp(end)).to_numpy(), n_buckets, post_bucket)
    post_bucket = post_bucket.astype(np.int32)
    first = 0 if score_from is None else max(0, int((pd.Timestamp(score_from).floor(bucket) - origin) // bucket))
    inside = (post_bucket >= 0) & (post_bucket < n_buckets)
    totals = np.bincount(post_bucket[inside], minlength=n_buckets)
    return Grid(origin, bucket, n_buckets, post_bucket, min(first, n_buckets), totals)


def row_of(kept: np.ndarray, n_keys: int) -> np.ndarray:
    """Return, per key code, its row among `kept` (-1 when not kept)."""
    rows = np.full(n_keys, -1, dtype=np.int64)
    rows[kept] = np.arange(len(kept))
    return rows


def slices(occ: Occurrences, rows: np.ndarray, grid: Grid) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (post, row, bucket) for the occurrences of kept keys inside the grid, a slice at a time, in order.

    SLICE_THREADS threads cut the next slices while the caller works on one (numpy's lookups run without the GIL).
    """
    return _ahead(lambda start: _slice(occ, rows, grid, start), range(0, len(occ), OCCURRENCE_SLICE))


def _ahead(work: Callable[[int], T], items: Iterable[int]) -> Iterator[T]:
    """Yield work(item) for each item, in order, SLICE_THREADS threads working ahead of the caller (never more than
    SLICE_THREADS + 1 results held at once)."""
    items = iter(items)
    with ThreadPoolExecutor(SLICE_THREADS) as pool:
        ahead = deque(pool.submit(work, item) for item in islice(items, SLICE_THREADS))
        while ahead:
            result = ahead.popleft().result()
            ahead.extend(pool.submit(work, item) for item in islice(items, 1))
            yield result


def _slice(occ: Occurrences, rows: np.ndarray, grid: Grid, start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    row = rows[occ.key[start : start + OCCURRENCE_SLICE]]
    kept = row >= 0  # buckets are looked up for the kept keys' occurrences only (often a few of them)
    post, row = occ.post[start : start + OCCURRENCE_SLICE][kept], row[kept]
    bkt = grid.post_bucket[post].astype(np.int64)
    sel = (bkt >= 0) & (bkt < grid.n_buckets)
    return post[sel], row[sel], bkt[sel]


@dataclass
class Counts:
    """Dense posts per bucket of the keys that can reach min_count in one bucket, and how many cells were tested."""

    keys: np.ndarray  # key codes, one per row
    counts: np.ndarray  # (rows, buckets) int32
    tested_cells: int  # scored cells holding a post, over every key (an upper bound for keys without a row)


def _count_cells(total: np.ndarray, occ: Occurrences, rows: np.ndarray, grid: Grid, coarse: int = 1) -> None:
    """Add one to total[bucket // coarse * width + row] per occurrence of a key with a row (width: the rows).

    Occurrences come in post order, hence time order, so a slice spans few buckets: each slice is counted
    bucket-major over its span alone (no pass over every cell per slice), by SLICE_THREADS threads. A `total`
    narrower than int32 saturates at its largest value instead of wrapping around.
    """
    width = int(rows.max(initial=-1)) + 1
    cap = np.iinfo(total.dtype).max if total.dtype.itemsize < 4 else None

    def cells(start: int) -> tuple[int, np.ndarray]:
        _post, row, bkt = _slice(occ, rows, grid, start)
        if not len(row):
            return 0, np.zeros(0, dtype=np.int64)
        bkt = bkt // coarse
        lo, hi = int(bkt.min()), int(bkt.max()) + 1
        # A slice holds fewer than 2**31 occurrences: int32 counts, half the memory while they wait to be added.
        return lo * width, np.bincount((bkt - lo) * width + row, minlength=(hi - lo) * width).astype(np.int32)

    for at, counted in _ahead(cells, range(0, len(occ), OCCURRENCE_SLICE)):
        cells_of_slice = total[at : at + len(counted)]
        if cap is None:
            cells_of_slice += counted
        else:
            cells_of_slice[:] = np.minimum(cells_of_slice + counted, cap)


def count_keys(occ: Occurrences, grid: Grid, min_count: int) -> Counts:
    """Count posts per (key, bucket) for keys that can reach `min_count` in one bucket; count every tested cell."""
    n, first = grid.n_buckets, grid.first_scored
    scored_post = (grid.post_bucket >= first) & (grid.post_bucket < n)
    scored_total = np.zeros(len(occ.keys), dtype=np.int64)

    def scored_keys(start: int) -> np.ndarray:
        return occ.key[start : start + OCCURRENCE_SLICE][scored_post[occ.post[start : start + OCCURRENCE_SLICE]]]

    # Counted here, one key-long temporary at a time (at 10M posts the keys are millions).
    for scored in _ahead(scored_keys, range(0, len(occ), OCCURRENCE_SLICE)):
        scored_total += np.bincount(scored, minlength=len(occ.keys))
    # Only keys that could reach min_count in one bucket get a dense row: first by their total, then by their
    # count per coarse bucket (a bucket cannot hold more than the coarse bucket around it). The occurrences are
    # streamed in slices, so no full-length copy of them is ever made.
    kept = np.flatnonzero(scored_total >= min_count)
    # Keys without a row are tested too (their cells can never pass min_count): each of their scored occurrences
    # is counted as a cell, an upper bound that keeps the multiple-testing correction on the safe side.
    all_scored, kept_scored = int(scored_total.sum()), scored_total[kept]
    del scored_total  # a key-long array: at 10M posts, 8M keys
    coarse = max(1, n // COARSE_BUCKETS)
    n_coarse = n // coarse + 1
    # Coarse counts only tell whether min_count is reached: the narrowest type that holds it (counts saturate),
    # a quarter of int32's memory in the usual case (1M keys * 66 coarse buckets at 10M posts).
    narrow = next(t for t in (np.uint8, np.uint16, np.int32) if min_count <= np.iinfo(t).max)
    coarse_counts = np.zeros(n_coarse * len(kept), dtype=narrow)  # bucket-major
    _count_cells(coarse_counts, occ, row_of(kept, len(occ.keys)), grid, coarse)
    reached = coarse_counts.reshape(n_coarse, len(kept)).max(axis=0, initial=0) >= min_count
    del coarse_counts
    kept, without_row = kept[reached], all_scored - int(kept_scored[reached].sum())
    # Dense counts of those keys, a block of keys at a time (one pass over the occurrences per block); only the
    # rows that reach min_count in a scored bucket are kept (no other row can hold a discovery), but every cell of
    # every block is counted as tested.
    rows_of, blocks, nonzero = [], [], 0
    block = max(1, BLOCK_CELLS // n)
    for lo in range(0, len(kept), block):
        part = kept[lo : lo + block]
        counts = np.zeros(n * len(part), dtype=np.int32)  # bucket-major
        _count_cells(counts, occ, row_of(part, len(occ.keys)), grid)
        counts = counts.reshape(n, len(part)).T
        nonzero += int(np.count_nonzero(counts[:, first:]))
        full = counts[:, first:].max(axis=1, initial=0) >= min_count
        rows_of.append(part[full])
        blocks.append(np.ascontiguousarray(counts[full]))
    keys = np.concatenate(rows_of) if rows_of else np.zeros(0, dtype=np.int64)
    counts = np.concatenate(blocks) if blocks else np.zeros((0, n), dtype=np.int32)
    return Counts(keys, counts, nonzero + without_row)


def cell_authors(
    occ: Occurrences, grid: Grid, keys: np.ndarray, author_code: np.ndarray, cells: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Return the distinct accounts of each requested (row of `keys`, bucket) cell."""
    cell_rows, cell_cols = cells
    if not len(cell_rows):
        return np.zeros(0, dtype=np.int64)
    # Only the keys with a requested cell are read, numbered by their row among `keys`.
    wanted = np.unique(cell_rows)
    rows = np.full(len(occ.keys), -1, dtype=np.int64)
    rows[keys[wanted]] = wanted
    mask = np.zeros((len(keys), grid.n_buckets), dtype=bool)
    mask[cell_rows, cell_cols] = True
    parts = []
    for post, row, bkt in slices(occ, rows, grid):
        hit = mask[row, bkt]
        parts.append(pd.DataFrame({"r": row[hit], "b": bkt[hit], "a": author_code[post[hit]]}).drop_duplicates())
    triples = pd.concat(parts, ignore_index=True).drop_duplicates()
    per_cell = triples.groupby(["r", "b"]).size()
    return per_cell.reindex(pd.MultiIndex.from_arrays([cell_rows, cell_cols])).fillna(0).to_numpy(np.int64)
