"""Expected posts per (key, bucket) from a Gamma-Poisson model, tail probabilities, Benjamini-Hochberg, rank score.

Each key's count in a bucket is modelled as Poisson with an unknown rate. The rate's prior is a Gamma centred on
the key's own rate over the rest of the window (never below `min_rate`), worth as many buckets as that rest holds
(at most `prior_buckets`); the `baseline_buckets` before the bucket update it. The count is then negative
binomial (the Gamma-Poisson predictive, with one extra post in the shape so that it is the exact conditional
test), and a cell's p-value is P(X >= count). Benjamini-Hochberg at `fdr` runs over every (key, bucket) cell
tested. See docs/trends.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.trends.params import DetectionParams

# Cells of the dense counts scored at a time (bounds the memory of the running sums).
CELL_BATCH = 4_000_000
# Surprise (decimal digits of the p-value) is capped here: beyond it every cell is equally certain.
MAX_SURPRISE = 300.0


@dataclass
class Expected:
    """The Gamma-Poisson predictive of each (key, bucket): shape, rate (in buckets) and mean."""

    shape: np.ndarray
    rate: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.shape / self.rate


def expected_counts(counts: np.ndarray, params: DetectionParams) -> Expected:
    """Return the predictive of every cell of `counts` (keys x buckets) from the key's past and its other buckets."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim == 1:
        counts = counts[None, :]
    n = counts.shape[1]
    width = params.baseline_buckets
    running = np.zeros((counts.shape[0], n + 1), dtype=np.int64)
    np.cumsum(counts, axis=1, out=running[:, 1:])
    cols = np.arange(n)
    past = np.minimum(cols, width)  # buckets of history known before each bucket
    history = running[:, cols] - running[:, cols - past]
    rest = running[:, -1:] - counts - history  # the key's posts outside the history and the bucket itself
    rest_buckets = n - 1 - past
    with np.errstate(divide="ignore", invalid="ignore"):
        prior = np.where(rest_buckets > 0, rest / np.maximum(rest_buckets, 1), 0.0)
    prior = np.maximum(prior, params.min_rate)
    # The rest of the window is evidence worth as many buckets as it holds (at most prior_buckets); with neither
    # history nor rest (a single bucket of data) the floor rate stands in for one bucket.
    weight = np.minimum(np.clip(rest_buckets, 0, None), params.prior_buckets).astype(np.float64)
    weight = np.where(weight + past > 0, weight, 1.0)
    # One more post in the shape makes the tail probability that of the exact conditional (binomial) test of two
    # Poisson rates when the prior is the rest's own count, so p-values stay valid on short windows.
    shape = prior * weight + history + 1.0
    rate = np.broadcast_to(weight + past, shape.shape).astype(np.float64)
    return Expected(shape, rate)


def log_pvalues(counts: np.ndarray, shape: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Return ln P(X >= count) for X negative binomial (Gamma-Poisson with this shape and rate)."""
    counts = np.asarray(counts, dtype=np.float64)
    survival = _nbinom_sf()
    if survival is None:  # a SciPy without the Boost ufunc: the distribution object (imports scipy.stats, slower)
        from scipy.stats import nbinom

        return np.minimum(nbinom.logsf(counts - 1, shape, rate / (rate + 1.0)), 0.0)
    # What nbinom.logsf computes, without importing scipy.stats (1-2 s); P(X >= count) = 1 for counts below 1.
    with np.errstate(divide="ignore"):
        log_sf = np.log(survival(np.floor(np.maximum(counts - 1, 0)), shape, rate / (rate + 1.0)))
    return np.where(counts >= 1, np.minimum(log_sf, 0.0), 0.0)


def _nbinom_sf():
    """Return SciPy's Boost negative binomial survival ufunc (what scipy.stats.nbinom.sf calls), or None."""
    from scipy.special import _ufuncs

    return getattr(_ufuncs, "_nbinom_sf", None)


def surprise(log_p: np.ndarray) -> np.ndarray:
    """Return -log10 p (decimal digits of improbability), capped at MAX_SURPRISE."""
    return np.minimum(-np.asarray(log_p) / np.log(10.0), MAX_SURPRISE)


def benjamini_hochberg(log_p: np.ndarray, tested: int, fdr: float) -> np.ndarray:
    """Return which of `log_p` are discoveries at false discovery rate `fdr` among `tested` cells in all.

    Cells not given are taken as p = 1 (they never pass), which only makes the procedure more cautious.
    """
    log_p = np.asarray(log_p, dtype=np.float64)
    keep = np.zeros(len(log_p), dtype=bool)
    if not len(log_p):
        return keep
    tested = max(int(tested), len(log_p))
    order = np.argsort(log_p, kind="stable")
    ranks = np.arange(1, len(log_p) + 1)
    passing = np.flatnonzero(log_p[order] <= np.log(fdr) + np.log(ranks) - np.log(tested))
    if len(passing):
        keep[order[: passing[-1] + 1]] = True
    return keep


def significant_cells(
    counts: np.ndarray, first_scored: int, tested: int, params: DetectionParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (rows, buckets, expected, ln p) of the cells that are discoveries and pass the count guards."""
    rows, cols, means, logps = [], [], [], []
    batch = max(1, CELL_BATCH // max(counts.shape[1], 1))
    for start in range(0, counts.shape[0], batch):
        block = counts[start : start + batch]
        exp = expected_counts(block, params)
        mean = exp.mean
        possible = (block >= params.min_count) & (block >= params.min_ratio * (mean + 1.0))
        possible[:, :first_scored] = False
        r, c = np.nonzero(possible)
        rows.append(r + start)
        cols.append(c)
        means.append(mean[r, c])
        logps.append(log_pvalues(block[r, c], exp.shape[r, c], exp.rate[r, c]))
    rows_a, cols_a = np.concatenate(rows or [[]]).astype(np.int64), np.concatenate(cols or [[]]).astype(np.int64)
    mean_a, logp_a = np.concatenate(means or [[]]), np.concatenate(logps or [[]])
    keep = benjamini_hochberg(logp_a, tested, params.fdr)
    return rows_a[keep], cols_a[keep], mean_a[keep], logp_a[keep]


def rank_score(excess: np.ndarray, accounts: np.ndarray, surprise_digits: np.ndarray) -> np.ndarray:
    """Return log10(excess posts + 1) + log10(accounts) + log10(surprise): one point per factor of ten of each."""
    excess = np.maximum(np.asarray(excess, dtype=np.float64), 0.0)
    accounts = np.maximum(np.asarray(accounts, dtype=np.float64), 1.0)
    digits = np.maximum(np.asarray(surprise_digits, dtype=np.float64), 1.0)
    return np.log10(excess + 1.0) + np.log10(accounts) + np.log10(digits)
