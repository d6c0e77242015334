"""Find Kleinberg (2002) bursts in batched counts: the optimal two-state automaton for many keys at once."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd

from planner.errors import PlannerError

# Same cap as the PyPI package `burst_detection` 0.1.3: a burst proportion above 1 becomes this.
P1_CAP = 0.99999


class BurstInputError(PlannerError, ValueError):
    """Counts or parameters that the burst automaton cannot use (shapes, negative counts, r > d, s <= 1, ...)."""


def _as_counts(a: np.ndarray, name: str) -> np.ndarray:
    """Return `a` as an int64 array of whole, non-negative counts; raise BurstInputError otherwise."""
    arr = np.asarray(a)
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
        arr = arr.astype(np.int64, copy=False)
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.floor(arr)):
            raise BurstInputError(f"{name} must hold whole counts")
        arr = arr.astype(np.int64)
    else:
        raise BurstInputError(f"{name} must hold whole counts, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        where = np.argwhere(arr < 0)[0].tolist()
        raise BurstInputError(f"{name} has a negative count at index {where}")
    return arr


def _checked(r: np.ndarray, d: np.ndarray, s: float, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return (r as (K, T) int64, d as (T,) int64)."""
    r = _as_counts(r, "r")
    d = _as_counts(d, "d")
    if r.ndim != 2 or d.ndim != 1 or r.shape[1] != d.shape[0]:
        raise BurstInputError(f"r must be (keys, buckets) and d (buckets,); got r {r.shape} and d {d.shape}")
    over = r > d
    if over.any():
        k, t = np.argwhere(over)[0].tolist()
        raise BurstInputError(f"key {k} has {r[k, t]} posts in bucket {t}, more than all posts there ({d[t]})")
    if not (math.isfinite(s) and s > 1):
        raise BurstInputError(f"s must be a number above 1, got {s}")
    if not (math.isfinite(gamma) and gamma >= 0):
        raise BurstInputError(f"gamma must be a number of at least 0, got {gamma}")
    return r, d


def _proportions(r: np.ndarray, d: np.ndarray, s: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (p0, p1) per key: base proportion sum(r)/sum(d) and s*p0 (above 1 capped as the package does)."""
    total = d.sum()
    p0 = r.sum(axis=1) / total if total else np.zeros(r.shape[0])
    p1 = s * p0
    p1[p1 > 1] = P1_CAP
    return p0, p1


def _xlogp(count: np.ndarray, logp: np.ndarray) -> np.ndarray:
    """Return count * log(p), taking 0 * log(0) as 0 (the limit of the binomial likelihood)."""
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, count * logp, 0.0)


def _fit_costs(r: np.ndarray, d: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Return -(r ln p + (d - r) ln(1 - p)) per key and bucket, without the state-free binomial coefficient."""
    with np.errstate(divide="ignore"):
        logp = np.log(p)[:, None]
        log1mp = np.log1p(-p)[:, None]
    return -(_xlogp(r, logp) + _xlogp(d[None, :] - r, log1mp))


# Up to this many posts in a bucket, ln n! is looked up in a table indexed by n (8 bytes per entry).
_TABLE_LIMIT = 1 << 22


def _log_factorial(n: np.ndarray) -> np.ndarray:
    """Return ln n! elementwise for an array of counts, with one lgamma call per distinct count."""
    top = int(n.max()) if n.size else 0
    if top <= _TABLE_LIMIT:
        present = np.zeros(top + 1, dtype=bool)
        present[n] = True
        table = np.zeros(top + 1)
        values = np.flatnonzero(present)
        table[values] = [math.lgamma(v + 1.0) for v in values.tolist()]
        return table[n]
    values, inverse = np.unique(n, return_inverse=True)
    return np.array([math.lgamma(v + 1.0) for v in values.tolist()])[inverse].reshape(n.shape)


def _log_binomial(d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Return ln C(d, r) per key and bucket."""
    return _log_factorial(d)[None, :] - _log_factorial(r) - _log_factorial(d[None, :] - r)


def _burst_gain(r: np.ndarray, d: np.ndarray, p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """Return fit cost in the burst state minus fit cost in the base state, (T, K) bucket-major."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(p1 / p0)
        log_ratio_rest = np.log1p(-p1) - np.log1p(-p0)
    # p0 = 0 (a silent key, so p1 = 0 too): both states fit alike.
    log_ratio[p0 == 0] = 0.0
    log_ratio_rest[p0 == 0] = 0.0
    if np.isfinite(log_ratio_rest).all():
        return -(r.T * (log_ratio - log_ratio_rest) + d[:, None] * log_ratio_rest)
    # p0 = 1 or p1 = 1 make ln(1 - p) infinite: keep the package's terms apart so that 0 * log(0) counts as 0.
    return -(_xlogp(r.T, log_ratio) + _xlogp(d[:, None] - r.T, log_ratio_rest))


def kleinberg_states(r: np.ndarray, d: np.ndarray, s: float = 2.0, gamma: float = 1.0, chunk: int = 4096) -> np.ndarray:
    """Return the minimum-cost burst states (K, T) bool for counts r (K, T) out of totals d (T,).

    Costs are those of `burst_detection` 0.1.3; the sequence is the true optimum over the whole series (Viterbi
    over all keys at once, `chunk` keys at a time to bound memory); on exact ties each step prefers the base state.
    Raises BurstInputError on bad counts or parameters.
    """
    r, d = _checked(r, d, s, gamma)
    k, t_len = r.shape
    states = np.zeros((k, t_len), dtype=bool)
    if t_len == 0:
        return states
    p0, p1 = _proportions(r, d, s)
    up = gamma * math.log(t_len)
    for lo in range(0, k, chunk):
        keys = slice(lo, lo + chunk)
        states[keys] = _viterbi(_burst_gain(r[keys], d, p0[keys], p1[keys]), up)
    return states


def _viterbi(gain: np.ndarray, up: float) -> np.ndarray:
    """Return the optimal states (K, T) for burst-minus-base fit costs `gain` (T, K) and move-up cost `up`.

    With x = (best cost ending in the burst state) - (best cost ending in the base state), one step is
    x <- clip(x, 0, up) + gain[t]: the base state is reached from the burst state when x < 0, the burst state
    stays a burst when x < up. x stays bounded, so long series lose no precision.
    """
    t_len, k = gain.shape
    # back[t]: 2 if both states at t + 1 are best reached from the burst state, 1 if only the burst state, 0 if none.
    back = np.empty((t_len, k), dtype=np.int8)
    x = gain[0] + up
    for t in range(1, t_len):
        back[t - 1] = x < 0
        back[t - 1] += x < up
        np.clip(x, 0.0, up, out=x)
        x += gain[t]
    states = np.empty((t_len, k), dtype=bool)
    states[-1] = x < 0
    for t in range(t_len - 1, 0, -1):
        # From the burst state at t the way back is a burst if back >= 1; from the base state only if back == 2.
        np.greater_equal(back[t - 1], 2 - states[t].view(np.int8), out=states[t - 1])
    return states.T


def total_cost(states: np.ndarray, r: np.ndarray, d: np.ndarray, s: float = 2.0, gamma: float = 1.0) -> np.ndarray:
    """Return each key's total cost (K,) of a state sequence: binomial fit costs plus gamma ln(n) per move up.

    The fit cost is the package's -(ln C(d, r) + r ln p + (d - r) ln(1 - p)); the series starts in the base state.
    """
    r, d = _checked(r, d, s, gamma)
    states = np.asarray(states, dtype=bool)
    if states.shape != r.shape:
        raise BurstInputError(f"states must have the shape of r {r.shape}, got {states.shape}")
    k, t_len = r.shape
    if t_len == 0:
        return np.zeros(k)
    p0, p1 = _proportions(r, d, s)
    fit = np.where(states, _fit_costs(r, d, p1), _fit_costs(r, d, p0)) - _log_binomial(d, r)
    ups = np.count_nonzero(np.diff(states.astype(np.int8), axis=1, prepend=0) == 1, axis=1)
    return fit.sum(axis=1) + gamma * math.log(t_len) * ups


def intervals(
    states_row: np.ndarray, bucket_starts: pd.DatetimeIndex, bucket: pd.Timedelta
) -> list[tuple[datetime, datetime]]:
    """Return the bursts of one key as (start of first bucket, end of last bucket) UTC datetimes, in order."""
    states_row = np.asarray(states_row, dtype=bool)
    if states_row.ndim != 1 or len(states_row) != len(bucket_starts):
        raise BurstInputError(f"states ({states_row.shape}) and bucket starts ({len(bucket_starts)}) do not match")
    if bucket_starts.tz is None:
        raise BurstInputError("bucket starts must be timezone-aware (UTC)")
    starts = bucket_starts.tz_convert("UTC")
    edges = np.diff(states_row.astype(np.int8), prepend=0, append=0)
    first = np.flatnonzero(edges == 1)
    last = np.flatnonzero(edges == -1) - 1
    step = pd.Timedelta(bucket)
    return [(starts[a].to_pydatetime(), (starts[b] + step).to_pydatetime()) for a, b in zip(first, last, strict=True)]
