"""One story per burst: keys that burst in the same posts fold into one trend headed by the best key."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.trends.keys import KIND_RANK

# Buckets either side of a key's peak whose posts it is compared on.
PEAK_HALF_WIDTH = 1
# Kinds that never fold (a narrative is a cluster of texts, not a key of the posts).
UNFOLDED = frozenset({"narrative"})


def jaccard(members: sp.csr_matrix) -> sp.csr_matrix:
    """Return |A & B| / |A | B| for every pair of rows of a 0/1 (trends x posts) matrix that share a post."""
    members = sp.csr_matrix(members, dtype=np.float64)
    members.data[:] = 1.0
    inter = (members @ members.T).tocoo()
    sizes = np.asarray(members.sum(axis=1)).ravel()
    union = sizes[inter.row] + sizes[inter.col] - inter.data
    return sp.csr_matrix((inter.data / np.maximum(union, 1.0), (inter.row, inter.col)), shape=inter.shape)


def head_order(kinds: np.ndarray, keys: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Return trend indices best head first: hashtag > URL > domain > term, then score, then the longer key."""
    rank = np.array([KIND_RANK.get(k, len(KIND_RANK)) for k in kinds])
    length = np.array([len(str(k)) for k in keys])
    return np.lexsort((-length, -np.asarray(scores, dtype=np.float64), rank))


def fold(
    kinds: np.ndarray, keys: np.ndarray, scores: np.ndarray, members: sp.csr_matrix, threshold: float
) -> np.ndarray:
    """Return the head of each trend (its own index when it heads itself).

    Heads are taken best first; each absorbs the trends not yet taken whose posts around their peaks overlap its own
    with a Jaccard index of at least `threshold`. Comparing with the head only (not chaining through neighbours)
    keeps a generic word from gluing separate stories together.
    """
    n = len(kinds)
    head = np.full(n, -1, dtype=np.int64)
    sim = jaccard(members) if n else sp.csr_matrix((0, 0))
    for i in head_order(kinds, keys, scores):
        if head[i] >= 0:
            continue
        head[i] = i
        if kinds[i] in UNFOLDED:
            continue
        row = sim.getrow(i)
        for j, value in zip(row.indices, row.data, strict=True):
            if head[j] < 0 and value >= threshold and kinds[j] not in UNFOLDED:
                head[j] = i
    return head
