"""One story per burst: keys that burst in the same posts fold into one trend headed by the best key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from planner.trends.keys import KIND_RANK

if TYPE_CHECKING:
    import scipy.sparse as sp

# Buckets either side of a key's peak whose posts it is compared on.
PEAK_HALF_WIDTH = 1


def _overlaps(members: sp.csr_matrix) -> tuple[sp.coo_matrix, np.ndarray]:
    import scipy.sparse as sp  # loaded on first use: commands that only read trends start faster

    members = sp.csr_matrix(members, dtype=np.float64)
    members.data[:] = 1.0
    return (members @ members.T).tocoo(), np.asarray(members.sum(axis=1)).ravel()


def jaccard(members: sp.csr_matrix) -> sp.csr_matrix:
    """Return |A & B| / |A | B| for every pair of rows of a 0/1 (trends x posts) matrix that share a post."""
    import scipy.sparse as sp  # loaded on first use: commands that only read trends start faster

    inter, sizes = _overlaps(members)
    union = sizes[inter.row] + sizes[inter.col] - inter.data
    return sp.csr_matrix((inter.data / np.maximum(union, 1.0), (inter.row, inter.col)), shape=inter.shape)


def containment(windows: sp.csr_matrix, carriers: sp.csr_matrix) -> sp.csr_matrix:
    """Return, for row A and column B, the share of B's posts around its peak that carry key A at all."""
    import scipy.sparse as sp  # loaded on first use: commands that only read trends start faster

    w = sp.csr_matrix(windows, dtype=np.float64)
    w.data[:] = 1.0
    a = sp.csr_matrix(carriers, dtype=np.float64)
    a.data[:] = 1.0
    inter = (a @ w.T).tocoo()
    sizes = np.asarray(w.sum(axis=1)).ravel()
    return sp.csr_matrix((inter.data / np.maximum(sizes[inter.col], 1.0), (inter.row, inter.col)), shape=inter.shape)


def head_order(kinds: np.ndarray, keys: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Return trend indices best head first: hashtag > URL > domain > term, then score, then the longer key."""
    rank = np.array([KIND_RANK.get(k, len(KIND_RANK)) for k in kinds])
    length = np.array([len(str(k)) for k in keys])
    return np.lexsort((-length, -np.asarray(scores, dtype=np.float64), rank))


def fold(
    kinds: np.ndarray,
    keys: np.ndarray,
    scores: np.ndarray,
    members: sp.csr_matrix,
    threshold: float,
    carriers: sp.csr_matrix | None = None,
) -> np.ndarray:
    """Return the head of each trend (its own index when it heads itself).

    `members` holds each trend's posts around its peak, `carriers` every post of each trend's key (default:
    `members`). Heads are taken best first; each absorbs the trends not yet taken whose posts around their peaks
    overlap the head's with a Jaccard index of at least `threshold`, or, for a smaller key, carry the head's key
    for at least `threshold` of them (containment: a word in a tenth of a slogan's posts still bursts with it).
    Comparing with the head only (not chaining through neighbours) keeps a generic word from gluing separate
    stories together.
    """
    import scipy.sparse as sp  # loaded on first use: commands that only read trends start faster

    n = len(kinds)
    head = np.full(n, -1, dtype=np.int64)
    if not n:
        return head
    sizes = np.asarray(sp.csr_matrix(members).getnnz(axis=1))
    inter = containment(members, members if carriers is None else carriers).tocoo()
    # Containment only folds a smaller key under a larger head; Jaccard folds keys of any size.
    smaller = sizes[inter.col] <= sizes[inter.row]
    sim = sp.csr_matrix((np.where(smaller, inter.data, 0.0), (inter.row, inter.col)), shape=inter.shape)
    sim = sim.maximum(jaccard(members)).tocsr()
    for i in head_order(kinds, keys, scores):
        if head[i] >= 0:
            continue
        head[i] = i
        row = sim.getrow(i)
        for j, value in zip(row.indices, row.data, strict=True):
            if head[j] < 0 and value >= threshold:
                head[j] = i
    return head
