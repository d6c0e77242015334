"""Integer keys of monitored posts, kept at import time: a hash of the account and of the co-post text.

Co-post detection compares the normalised text (planner.coordination.networks.normalise_text) of posts by
different accounts; reading two 64-bit integers per post instead of the text and the author id makes that read
several times cheaper. The hash is SipHash-2-4 over the UTF-8 bytes with a fixed 16-byte key, as computed by
pandas.util.hash_array (public API, vectorised in C, the same on every machine and process); tests pin known
values, so a pandas that changed it would fail them. Stored keys must never change meaning: a new hash would need a
migration that recomputes every row. 64 bits make a collision between two distinct texts unlikely (about 3 in a
million with 10 million distinct texts); a collision can only merge two co-post objects, never split one.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

HASH_KEY = "counterpoint-k01"  # 16 bytes: SipHash key; part of the stored data's meaning, never change it
# The key of the empty normalised text (never a shared object unless asked); no other text hashes to it.
EMPTY_TEXT = 0


def _siphash(values: np.ndarray, distinct: bool = False) -> np.ndarray:
    """Return the stable signed 64-bit hash of each string in `values` (an object array; `distinct`: no repeats)."""
    if len(values) == 0:
        return np.zeros(0, np.int64)
    hashed = pd.util.hash_array(values, encoding="utf8", hash_key=HASH_KEY, categorize=not distinct)
    return hashed.view(np.int64)


def text_hashes(texts: pd.Series | list[str]) -> np.ndarray:
    """Return the co-post key of each text: the hash of its normalised form, EMPTY_TEXT for an empty one."""
    from planner.coordination.networks import _text_codes  # pyarrow and regex load only when keys are made

    texts = texts if isinstance(texts, pd.Series) else pd.Series(texts, dtype=object)
    codes, distinct = _text_codes(texts.reset_index(drop=True))
    distinct = np.asarray(distinct, dtype=object)
    keys = _siphash(distinct, distinct=True)
    keys[(keys == EMPTY_TEXT) | (distinct == "")] = EMPTY_TEXT
    keys[(keys == EMPTY_TEXT) & (distinct != "")] = EMPTY_TEXT + 1  # keep 0 for the empty text alone
    return keys[codes] if len(codes) else np.zeros(0, np.int64)


def author_keys(platforms: pd.Series | list[str] | str, author_ids: pd.Series | list[str]) -> np.ndarray:
    """Return the account key of each (platform, author id): a hash of both, so accounts of two platforms differ."""
    if isinstance(platforms, str):  # one platform: each distinct account is hashed once
        ids = pd.Series(author_ids, dtype=object if not len(author_ids) else None).reset_index(drop=True)
        codes, distinct = pd.factorize(ids.fillna("").astype(str), sort=False)
        labels = platforms + "\x1f" + pd.Series(distinct, dtype=object)
        return _siphash(labels.to_numpy(dtype=object), distinct=True)[codes]
    ids = pd.Series(author_ids, dtype=object).fillna("").astype(str).reset_index(drop=True)
    labels = pd.Series(platforms, dtype=object).fillna("").astype(str).reset_index(drop=True) + "\x1f" + ids
    return _siphash(labels.to_numpy(dtype=object))


_MASK = (1 << 64) - 1


def _siphash_one(value: str) -> int:
    """Return _siphash of one string: the hashing kernel pandas.util.hash_array calls, then its final mixing in
    Python integers, without hash_array's per-call overhead (rows written one at a time; tests check the two agree)."""
    try:
        from pandas._libs.hashing import hash_object_array
    except ImportError:  # pragma: no cover - a pandas that moved it: the public path gives the same value
        return int(_siphash(np.array([value], dtype=object), distinct=True)[0])
    v = int(hash_object_array(np.array([value], dtype=object), HASH_KEY, "utf8")[0])
    v ^= v >> 30
    v = (v * 0xBF58476D1CE4E5B9) & _MASK
    v ^= v >> 27
    v = (v * 0x94D049BB133111EB) & _MASK
    v ^= v >> 31
    return v - (1 << 64) if v >= 1 << 63 else v


def text_hash_of(text: str | None) -> int:
    """Return the co-post key of one text (for rows written one at a time; equal to text_hashes)."""
    from planner.coordination.networks import normalise_text

    normal = normalise_text(text or "")
    if not normal:
        return EMPTY_TEXT
    key = _siphash_one(normal)
    return EMPTY_TEXT + 1 if key == EMPTY_TEXT else key


@functools.lru_cache(maxsize=1 << 16)  # rows written one at a time repeat their accounts
def author_key_of(platform: str | None, author_id: str | None) -> int:
    """Return the account key of one (platform, author id) (equal to author_keys)."""
    label = f"{platform or ''}\x1f{author_id or ''}"
    return _siphash_one(label)
