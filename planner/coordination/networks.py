"""Co-action networks: which accounts did the same thing within a time window, by sort and sweep over shared objects.

Semantics follow the QUT coordination-network-toolkit 1.5.2 so results can be cross-checked:
- a pair of posts co-acts when they share the object (normalised text, URL, hashtag, reposted post, or similar
  text) and their times differ by at most the window (both ends inclusive);
- reposts are left out of every network except co-repost;
- edges are directed: the weight of A -> B is the number of A's posts that have at least one matching post by B in
  the window (so A -> B and B -> A can differ); an account is never paired with itself;
- only edges with weight >= the minimum weight are kept.
Unlike the toolkit, empty texts and empty URLs are not treated as a shared object unless `match_empty` is set (the
toolkit pairs all posts without text, or without links, with each other).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import regex

from planner.arrowbytes import string_bytes
from planner.errors import PlannerError

KINDS = ("co-post", "co-similar", "co-link", "co-hashtag", "co-repost")
DEFAULT_WINDOW_S = 60.0
DEFAULT_MIN_WEIGHT = 2
DEFAULT_SIMILARITY = 0.8
# Index pairs generated per step of the sweep; memory stays bounded by this, not by the size of the largest group.
CHUNK_PAIRS = 1_000_000
# Partial edge tables are merged when they hold this many rows together.
MERGE_ROWS = 4_000_000

# The toolkit's preprocessing, verbatim (it uses the `regex` module, whose \s differs from `re` for \x1c-\x1f).
_MENTION = regex.compile(r"@.*?(?=(?:\s|$))")
_WORDS = regex.compile(r"\b\p{Word_Break=WSegSpace}*'?", flags=regex.WORD | regex.UNICODE | regex.V1)


class CoordinationError(PlannerError):
    """Detection parameters are invalid (unknown type, negative window, similarity outside (0, 1])."""


def normalise_text(text: str) -> str:
    """Return `text` lowercased, with @mentions removed and whitespace collapsed (the toolkit's co-tweet key)."""
    return " ".join(_MENTION.sub("", text.lower()).split())


def normalise_texts(texts: pd.Series) -> pd.Series:
    """Return normalise_text of every text (missing texts count as ""), computed once per distinct text."""
    codes, keys = _text_codes(texts)
    return pd.Series(np.asarray(keys, dtype=object)[codes], index=texts.index, dtype=object)


def sorted_unique(values: np.ndarray, counts: bool = False):
    """Return the sorted distinct int64 values (and how often each occurs): a count or a sort, faster than np.unique."""
    if len(values) and int(values.max()) - int(values.min()) < 2 * len(values):
        # Values packed in a narrow range (e.g. edge keys of a few source accounts): counting beats sorting.
        low = int(values.min())
        tally = np.bincount(values - low)
        present = np.flatnonzero(tally)
        return (present + low, tally[present]) if counts else present + low
    values = np.sort(values)
    first = np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if len(values) else np.zeros(0, np.int64)
    if not counts:
        return values[first]
    return values[first], np.diff(np.r_[first, len(values)])


def word_set(text: str) -> frozenset[str]:
    """Return the set of word tokens of `text`, lowercased and without @mentions (the toolkit's co-similar tokens)."""
    return frozenset(t for t in _WORDS.split(_MENTION.sub("", text.lower())) if t)


@dataclass(frozen=True)
class Params:
    kind: str = "co-post"
    window_s: float = DEFAULT_WINDOW_S
    min_weight: int = DEFAULT_MIN_WEIGHT
    similarity: float = DEFAULT_SIMILARITY
    match_empty: bool = False

    def check(self) -> None:
        """Raise CoordinationError naming the bad parameter."""
        if self.kind not in KINDS:
            raise CoordinationError(f"type: {self.kind!r} is not one of {', '.join(KINDS)}")
        if not (self.window_s >= 0 and math.isfinite(self.window_s)):
            raise CoordinationError(f"window: {self.window_s!r} must be a number of seconds >= 0")
        if self.min_weight < 1:
            raise CoordinationError(f"min weight: {self.min_weight!r} must be at least 1")
        if not 0 < self.similarity <= 1:
            raise CoordinationError(f"similarity: {self.similarity!r} must be above 0 and at most 1")

    @property
    def window_us(self) -> int:
        return round(self.window_s * 1_000_000)


@dataclass
class Prepared:
    """Posts reduced to the arrays the sweep needs: one row per (post, shared object)."""

    accounts: np.ndarray  # account labels, indexed by account code
    post_account: np.ndarray  # account code per post
    post_time: np.ndarray  # int64 microseconds per post
    row_post: np.ndarray  # post index per row
    row_key: np.ndarray  # shared-object code per row
    keys: np.ndarray | pd.api.extensions.ExtensionArray  # shared-object labels, indexed by object code
    tokens: _TokenTable | None = None  # co-similar: token codes per post
    post_text: np.ndarray | None = None  # co-similar: normalised-text code per post (what clusters count as shared)


@dataclass
class _TokenTable:
    """Every post's token codes, flattened: tokens of post i are flat[starts[i]:starts[i] + lens[i]]."""

    flat: np.ndarray
    starts: np.ndarray
    lens: np.ndarray

    @classmethod
    def of(cls, tokens: list[np.ndarray]) -> _TokenTable:
        lens = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        flat = np.concatenate(tokens) if tokens else np.zeros(0, np.int64)
        return cls(flat=flat.astype(np.int64), starts=np.cumsum(lens) - lens, lens=lens)


def _times_us(series: pd.Series) -> np.ndarray:
    return pd.to_datetime(series, utc=True).dt.tz_convert(None).astype("datetime64[us]").to_numpy().astype(np.int64)


def _explode(values: pd.Series, match_empty: bool) -> tuple[np.ndarray, np.ndarray]:
    """Split space-separated strings; return (post index, item) with duplicates inside a post removed."""
    if match_empty:  # the toolkit splits on single spaces, so an empty string is one empty item
        parts = values.fillna("").str.split(" ")
    else:
        parts = values.fillna("").str.split()
    exploded = parts.explode()
    frame = pd.DataFrame({"post": exploded.index.to_numpy(), "item": exploded.to_numpy()}).dropna()
    frame = frame.drop_duplicates()
    return frame["post"].to_numpy(np.int64), frame["item"].to_numpy(object)


def prepare(posts: pd.DataFrame, params: Params) -> Prepared:
    """Turn posts (columns account, created_at, text, urls, hashtags, repost_of) into sweep arrays for `params.kind`."""
    params.check()
    needed = {"co-post": "text", "co-similar": "text", "co-link": "urls", "co-hashtag": "hashtags"}.get(params.kind)
    if "repost_of" in posts:
        repost = pc.binary_length(_arrow_strings(posts["repost_of"])).to_numpy() > 0
    else:
        repost = np.zeros(len(posts), dtype=bool)
    kept = np.flatnonzero(repost if params.kind == "co-repost" else ~repost)
    # Account and text codes are computed on whole columns and then filtered as integers: cheaper than copying
    # string columns. Accounts are coded in sorted label order, so sorted edge keys give sorted edge rows.
    all_accounts, all_labels = _dictionary(_arrow_strings(posts["account"]), sort=True)
    post_account, accounts = _compact(all_accounts[kept], np.asarray(all_labels.to_pylist(), dtype=object))
    post_time = _times_us(posts["created_at"])[kept]
    tokens = post_text = None
    if params.kind == "co-post":
        all_keys, keys = _text_codes(posts["text"])
        post_key, keys = _compact(all_keys[kept], keys)
        row_post = np.arange(len(kept), dtype=np.int64)
        empty = np.flatnonzero(np.asarray(keys == "", dtype=bool))
        if not params.match_empty and len(empty):
            row_post = row_post[post_key != empty[0]]
        row_key = post_key[row_post]
    else:
        posts = posts[[needed or "repost_of"]].iloc[kept].reset_index(drop=True)
        if params.kind == "co-repost":
            row_post = np.arange(len(posts), dtype=np.int64)
            row_item = posts["repost_of"].astype(str).to_numpy(object)
        elif params.kind in ("co-link", "co-hashtag"):
            row_post, row_item = _explode(posts[needed], params.match_empty and params.kind == "co-link")
        else:  # co-similar: rows are (post, prefix token); the sweep finds candidates, Jaccard decides
            row_post, row_item, tokens = _similarity_prefixes(posts["text"].fillna(""), params.similarity)
            post_text = _text_codes(posts["text"])[0]
        # Hash-based codes: texts can be long, so no fixed-width string arrays.
        row_key, keys = pd.factorize(pd.Series(row_item, dtype=object), sort=False)
        keys = np.asarray(keys, dtype=object)
    return Prepared(
        accounts=accounts,
        post_account=post_account,
        post_time=post_time,
        row_post=np.asarray(row_post, dtype=np.int64),
        row_key=np.asarray(row_key, dtype=np.int64),
        keys=keys,
        tokens=_TokenTable.of(tokens) if tokens is not None else None,
        post_text=post_text,
    )


def _compact(codes: np.ndarray, labels):
    """Return (codes, labels) without the labels no code uses, renumbered in the same order."""
    used = np.bincount(codes, minlength=len(labels)) > 0
    if used.all():
        return codes.astype(np.int64, copy=False), labels
    return (np.cumsum(used) - 1)[codes], labels[used]


def _text_codes(texts: pd.Series) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """Return (normalised-text code per post, the distinct normalised texts).

    Arrow does the bulk work (ASCII lowercasing, hashing into distinct texts); Python's normalise_text runs only on
    the distinct texts the byte scan cannot vouch for, so results equal normalise_text on every text.
    """
    lowered = pc.ascii_lower(_arrow_strings(texts))
    codes, distinct = _dictionary(lowered)
    slow = np.flatnonzero(_needs_full_normalisation(distinct))
    if len(slow) == 0:  # every distinct text is already normal
        return codes, pd.array(distinct, dtype="str")
    fixed_code, fixed = _dictionary(pa.chunked_array([_normalise_lowered(distinct.take(slow))]))
    # A normalised text can now equal another distinct text: one representative entry per normal form, preferably
    # the already-normal entry (found by probing every entry against the few fixed texts, not by hashing all again).
    rep = np.full(len(fixed), -1, dtype=np.int64)
    rep[fixed_code[::-1]] = slow[::-1]  # the first slow entry of each normal form (earlier entries written last)
    hit = pc.fill_null(pc.index_in(distinct, value_set=fixed), -1).to_numpy().astype(np.int64)
    hit[slow] = -1
    normal_entries = np.flatnonzero(hit >= 0)
    rep[hit[normal_entries]] = normal_entries
    entry_rep = np.arange(len(distinct))
    entry_rep[slow] = rep[fixed_code]
    is_rep = entry_rep == np.arange(len(distinct))
    renumber = np.cumsum(is_rep) - 1
    normal = pc.replace_with_mask(distinct, _mask(len(distinct), slow), fixed.take(fixed_code))
    return renumber[entry_rep][codes], pd.array(normal.filter(is_rep), dtype="str")


# Whitespace (str.isspace) among the code points _plain_unicode admits: what str.split() splits on there. The
# toolkit's mention pattern (`regex` module, \\s) ends a mention at the same ones but \\x1c-\\x1f. Tests check both
# against Python on every admitted code point.
_SPACES_RE2 = r"[\t\n\v\f\r\x1c-\x1f \x{85}\x{a0}\x{3000}]+"
_MENTION_RE2 = r"@[^\t\n\v\f\r \x{85}\x{a0}\x{3000}]*"
# UTF-8 lead bytes of the blocks _plain_unicode turns away: U+1000-U+2FFF (Georgian, Cherokee, Greek Extended,
# the general punctuation's spaces, letterlike symbols, Glagolitic...), U+A000-U+AFFF (Cyrillic Extended-B, Latin
# Extended-D, blocks where recent Unicode versions added case pairs), U+E000-U+EFFF, and four-byte sequences
# other than U+1F000-U+1FFFF (emoji).
_TURNED_AWAY_LEADS = np.array([0xE1, 0xE2, 0xEA, 0xEE], dtype=np.uint8)


def _plain_unicode(strings: pa.Array) -> np.ndarray:
    """Return per string whether Arrow's kernels normalise it exactly as normalise_text does.

    That is when Arrow's utf8_lower lowers each of its code points as str.lower() does (not İ, which lowers to two
    code points, nor Σ, whose lower case depends on its place in the word) and its whitespace is among the RE2
    classes above: ASCII, Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic and the rest of U+0080-U+07FF,
    U+0800-U+0FFF, CJK and Hangul, the presentation and full-width forms, and emoji. One scan of the UTF-8 bytes.
    """
    offsets, data = string_bytes(strings)
    out = np.ones(len(strings), dtype=bool)
    if not len(data):
        return out
    after = np.append(data[1:], np.uint8(0))
    bad = np.isin(data, _TURNED_AWAY_LEADS) | (data >= 0xF1)
    bad |= (data == 0xF0) & (after != 0x9F)
    bad |= ((data == 0xC4) & (after == 0xB0)) | ((data == 0xCE) & (after == 0xA3))  # İ, Σ
    hits = np.flatnonzero(bad)
    out[np.searchsorted(offsets[1:], hits, "right")] = False
    return out


def _normalise_lowered(texts: pa.Array) -> pa.Array:
    """Return normalise_text of ASCII-lowercased texts: most with Arrow's kernels, the others in Python.

    Texts _plain_unicode admits are lowered by utf8_lower (lower() of an ASCII-lowercased text equals lower() of
    the original), lose their mentions and have their whitespace collapsed by RE2 patterns equal to the toolkit's
    and str.split()'s there. The others go through normalise_text itself.
    """
    plain_mask = _plain_unicode(texts)
    plain_idx, other_idx = np.flatnonzero(plain_mask), np.flatnonzero(~plain_mask)
    out = pa.chunked_array([], texts.type)
    if len(plain_idx):
        plain = pc.replace_substring_regex(pc.utf8_lower(texts.take(plain_idx)), _MENTION_RE2, "")
        plain = pc.utf8_trim(pc.replace_substring_regex(plain, _SPACES_RE2, " "), " ")
        out = pa.chunked_array([plain])
    if len(other_idx):
        other = pa.array([normalise_text(t) for t in texts.take(other_idx).to_pylist()], texts.type)
        out = pa.chunked_array([*out.chunks, other])
    # Back to the input order: Arrow's results first, then the others.
    return out.combine_chunks().take(np.argsort(np.r_[plain_idx, other_idx]))


def _dictionary(strings: pa.ChunkedArray, sort: bool = False) -> tuple[np.ndarray, pa.Array]:
    """Return (int64 code per string, the distinct strings), hashed by Arrow; `sort` orders them (UTF-8 byte order)."""
    encoded = strings.dictionary_encode().combine_chunks() if len(strings) else None
    if encoded is None:
        return np.zeros(0, np.int64), pa.array([], strings.type)
    codes, distinct = encoded.indices.to_numpy().astype(np.int64), encoded.dictionary
    if sort:
        order = pc.array_sort_indices(distinct).to_numpy()
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        codes, distinct = rank[codes], distinct.take(order)
    return codes, distinct


def _arrow_strings(values: pd.Series) -> pa.ChunkedArray:
    """Return `values` as Arrow strings with missing values as "" (no copy when pandas already holds Arrow)."""
    if values.dtype == object:
        values = values.fillna("").astype(str)
    elif not pd.api.types.is_string_dtype(values):
        values = values.astype(str)
    strings = pa.array(values.array, type=pa.large_string())
    if isinstance(strings, pa.Array):
        strings = pa.chunked_array([strings])
    return pc.fill_null(strings, "")


def _mask(n: int, positions: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[positions] = True
    return out


def _needs_full_normalisation(strings: pa.Array, block_bytes: int = 1 << 22) -> np.ndarray:
    """Return per string whether ASCII lowercasing alone might not give normalise_text.

    That is when it holds "@" (mentions), a control character (tabs, newlines, and \\x1c-\\x1f, which str.split
    also splits on), a non-ASCII byte (Unicode case mapping and spaces), a doubled space or a space at either end.
    Every other text is normal once lowercased. Vectorised over the bytes of the Arrow buffer.
    """
    offsets, data = string_bytes(strings)
    out = np.zeros(len(strings), dtype=bool)
    # Blocks of whole strings of about block_bytes: the temporaries stay small and in cache.
    bounds = np.unique(np.r_[np.searchsorted(offsets, np.arange(offsets[0], offsets[-1], block_bytes)), len(strings)])
    for first, last in zip(bounds[:-1], bounds[1:], strict=True):
        starts = offsets[first:last] - offsets[first]
        ends = offsets[first + 1 : last + 1] - offsets[first]
        chunk = data[offsets[first] : offsets[last]]
        # Control characters and non-ASCII bytes in one comparison (bytes below 0x20 wrap around), then "@".
        odd = np.subtract(chunk, 0x20, dtype=np.uint8) > 0x5E
        odd |= chunk == 0x40
        space = chunk == 0x20
        odd[1:] |= space[1:] & space[:-1]  # a doubled space (across two strings only if one has an edge space)
        hits = np.flatnonzero(odd)
        if len(hits) < len(starts):  # few odd bytes (mostly ASCII text): find their strings by binary search
            out[first + np.searchsorted(ends, hits, "right")] = True
        else:  # many: one "any" per string (the appended False lets reduceat start at the end, for empty strings)
            out[first:last] = np.logical_or.reduceat(np.append(odd, False), starts) & (ends > starts)
        filled = np.flatnonzero(ends > starts)
        out[first + filled] |= space[starts[filled]] | space[ends[filled] - 1]
    return out


def _similarity_prefixes(texts: pd.Series, threshold: float) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Return (post, prefix token) rows for exact prefix filtering, and every post's sorted token codes.

    Tokens are ordered rarest first; two sets with Jaccard >= t always share a token among the first
    len - ceil(t * len) + 1 of each (Chaudhuri et al. 2006), so candidates sharing a prefix token miss no pair.
    """
    sets = texts.map(word_set)
    vocab: dict[str, int] = {}
    coded = [np.fromiter((vocab.setdefault(t, len(vocab)) for t in s), dtype=np.int64, count=len(s)) for s in sets]
    freq = np.bincount(np.concatenate(coded), minlength=len(vocab)) if vocab else np.zeros(0, np.int64)
    # Re-code tokens so that code order = rarity order (ties broken by first appearance).
    order = np.argsort(freq, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    tokens = [np.sort(rank[c]) for c in coded]
    posts, items = [], []
    for i, tok in enumerate(tokens):
        n = len(tok)
        if n == 0:
            continue  # the toolkit divides by zero on two empty sets; an empty post is like nothing
        prefix = n - math.ceil(threshold * n - 1e-9) + 1  # rounding down the ceiling only lengthens the prefix
        posts.append(np.full(min(prefix, n), i, dtype=np.int64))
        items.append(tok[:prefix])
    if not posts:
        return np.zeros(0, np.int64), np.zeros(0, object), tokens
    return np.concatenate(posts), np.concatenate(items).astype(object), tokens


@dataclass
class _Sweep:
    """Rows of objects shared by at least two accounts, in (object, time) order, with each row's window."""

    rows: np.ndarray  # row index per sorted position
    key: np.ndarray  # object code per position
    acct: np.ndarray  # account code per position
    lo: np.ndarray  # first position of the same object with time >= t - window
    hi: np.ndarray  # one past the last position of the same object with time <= t + window


def _sweep(prep: Prepared, window_us: int) -> _Sweep | None:
    """Sort the rows that can pair by (object, time) and find every row's window by binary search."""
    key = prep.row_key
    if len(key) < 2:
        return None
    # An object in a single row pairs with nothing: dropping those first shrinks every sort below (most texts are
    # unique), and costs one bincount.
    rows = np.flatnonzero(np.bincount(key)[key] >= 2)
    if len(rows) < 2:
        return None
    time = prep.post_time[prep.row_post[rows]]
    order = _by_object_then_time(key[rows], time)
    rows, time = rows[order], time[order]
    sk, acct = key[rows], prep.post_account[prep.row_post[rows]]
    # Objects whose rows all belong to one account pair with nothing either (lowest account == highest account).
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    mixed = np.minimum.reduceat(acct, starts) != np.maximum.reduceat(acct, starts)
    keep = np.repeat(mixed, np.diff(np.r_[starts, len(sk)]))
    rows, time, sk, acct = rows[keep], time[keep], sk[keep], acct[keep]
    if len(rows) < 2:
        return None
    lo, hi = _window_bounds(sk, time, window_us)
    return _Sweep(rows=rows, key=sk, acct=acct, lo=lo, hi=hi)


def _by_object_then_time(key: np.ndarray, time: np.ndarray, limit: int = 2**63) -> np.ndarray:
    """Return an order of rows by (object, time); ties in any order (no result depends on it)."""
    t0 = int(time.min())
    span = int(time.max()) - t0 + 1
    if (int(key.max()) + 1) * span < limit:
        # One int64 key: numpy's SIMD quicksort beats a two-key lexsort several times.
        return np.argsort(key * span + (time - t0))
    return np.lexsort((time, key))


def _window_bounds(sk: np.ndarray, time: np.ndarray, window_us: int, limit: int = 2**62) -> tuple[np.ndarray, ...]:
    """Return (lo, hi) per row sorted by (object, time): its window is rows lo..hi-1 (same object, |dt| <= window)."""
    if (len(time) + 1) * (window_us + 1) < limit:
        # All objects on one increasing line: a gap longer than the window is shortened to window + 1 (no pair
        # spans it either way) and each object starts window + 1 after the previous one, so one binary search
        # per bound finds every window, with sorted needles (which numpy's searchsorted exploits).
        step = np.diff(time)
        np.minimum(step, window_us + 1, out=step)
        step[sk[1:] != sk[:-1]] = window_us + 1
        line = np.concatenate([[0], np.cumsum(step)])
        return np.searchsorted(line, line - window_us, "left"), np.searchsorted(line, line + window_us, "right")
    # A window too wide for the line: search (object, time rank) composites instead (ranks keep them exact).
    uniq = sorted_unique(time)
    span = len(uniq) + 1
    comp = sk * span + np.searchsorted(uniq, time)
    lo = np.searchsorted(comp, sk * span + np.searchsorted(uniq, time - window_us, "left"), "left")
    hi = np.searchsorted(comp, sk * span + np.searchsorted(uniq, time + window_us, "right"), "left")
    return lo, hi


def _stable_order(values: np.ndarray) -> np.ndarray:
    """Return argsort(values, kind="stable") for non-negative int64 values, by sorting values packed with their
    positions when that fits in int64 (a plain SIMD sort, several times faster than a stable argsort)."""
    n = len(values)
    if n and int(values.max()) < (2**63 - 1) // n:
        return np.sort(values * n + np.arange(n)) % n
    return np.argsort(values, kind="stable")


def _chunks(
    counts: np.ndarray, chunk_pairs: int, groups: np.ndarray | None = None, split_groups: bool = False
) -> Iterator[tuple[int, int]]:
    """Yield (start, stop) runs of positions whose counts sum to about chunk_pairs (at least one position each).

    With `groups` (sorted labels per position), a run does not end inside a group; with split_groups, it still
    may when finishing the group would take the run beyond twice chunk_pairs (memory stays bounded).
    """
    ends = np.cumsum(counts)
    start = 0
    while start < len(counts):
        before = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, before + chunk_pairs, "right")), start + 1)
        if groups is not None and stop < len(counts):
            whole = int(np.searchsorted(groups, groups[stop - 1], "right"))
            if not split_groups or ends[whole - 1] - before <= 2 * chunk_pairs:
                stop = whole
        yield start, stop
        start = stop


def _expand(lo: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Return lo[0], ..., lo[0] + n[0] - 1, lo[1], ...: every position of every window, in one vectorised step."""
    return np.arange(int(n.sum())) + np.repeat(lo - (np.cumsum(n) - n), n)


def window_pairs(prep: Prepared, window_us: int, chunk_pairs: int = CHUNK_PAIRS) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield chunks (row_i, row_j) of row pairs with the same object and |t_i - t_j| <= window, i != j.

    Rows are swept in time order inside each object; every chunk holds all pairs of whole posts (all rows of a post
    i are in one chunk), so per-post de-duplication inside a chunk is global. Rows of objects shared by fewer than
    two accounts are dropped first. Memory: O(rows + chunk_pairs).
    """
    sweep = _sweep(prep, window_us)
    if sweep is None:
        return
    order, lo, hi = sweep.rows, sweep.lo, sweep.hi
    # Visit sorted positions grouped by post, so a post's rows never straddle two chunks.
    visit = _stable_order(prep.row_post[order])
    counts = (hi - lo)[visit]
    post_of_visit = prep.row_post[order][visit]
    for start, stop in _chunks(counts, chunk_pairs, post_of_visit):
        pos, n = visit[start:stop], counts[start:stop]
        i_sorted = np.repeat(pos, n)
        j_sorted = _expand(lo[pos], n)
        mask = i_sorted != j_sorted
        if mask.any():
            yield order[i_sorted[mask]], order[j_sorted[mask]]


def _first_matches(prep: Prepared, window_us: int, chunk_pairs: int) -> Iterator[tuple[np.ndarray, np.ndarray, float]]:
    """Yield chunks (source account, target account, share done): each post paired once with each other account
    that has a post of the same object in its window. Only for one row per post (co-post, co-repost).

    Instead of listing every post pair and de-duplicating (post, target account) by sorting, a pair is kept only
    when the target post is its account's first post inside the window: with prev = the previous position of the
    same object and account, position j is first in the window [lo, hi) of i exactly when prev[j] < lo.
    """
    sweep = _sweep(prep, window_us)
    if sweep is None:
        return
    n = len(sweep.rows)
    # (object, account) per position, objects numbered densely so that packing in _stable_order usually fits.
    object_no = np.cumsum(np.r_[True, sweep.key[1:] != sweep.key[:-1]]) - 1
    same_key = object_no * (int(sweep.acct.max()) + 1) + sweep.acct
    by_account = _stable_order(same_key)  # time order is kept inside each (object, account)
    follows = same_key[by_account[1:]] == same_key[by_account[:-1]]
    prev = np.full(n, -1, dtype=np.int64)
    prev[by_account[1:][follows]] = by_account[:-1][follows]
    lo, acct = sweep.lo, sweep.acct
    # Visit posts by source account, and end chunks between accounts: the chunks' edge keys (source * accounts +
    # target) then come in increasing, disjoint runs, so merging their tables is a concatenation, and the few
    # source accounts of a chunk often make its keys dense enough to count with bincount instead of sorting.
    visit = _stable_order(acct)
    counts = (sweep.hi - lo)[visit]
    for start, stop in _chunks(counts, chunk_pairs, acct[visit], split_groups=True):
        pos, c = visit[start:stop], counts[start:stop]
        j = _expand(lo[pos], c)
        source = np.repeat(acct[pos], c)
        target = acct[j]
        keep = (prev[j] < np.repeat(lo[pos], c)) & (target != source)
        yield source[keep], target[keep], stop / n


def _similar(prep: Prepared, pi: np.ndarray, pj: np.ndarray, threshold: float) -> np.ndarray:
    """Return a mask of post pairs whose word sets have Jaccard similarity >= threshold (float, as the toolkit)."""
    table = prep.tokens
    lens, flat, starts = table.lens, table.flat, table.starts
    li, lj = lens[pi], lens[pj]
    # Length filter: J(A, B) <= min/max, so pairs with very different sizes cannot reach the threshold.
    mask = np.minimum(li, lj) >= threshold * np.maximum(li, lj) - 1e-9
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return mask
    vocab = int(flat.max()) + 1 if len(flat) else 1
    # Intersection size per pair: count tokens that occur in both sets (each set has no duplicates).
    sides = []
    for side in (pi[idx], pj[idx]):
        n = lens[side]
        pair = np.repeat(np.arange(len(idx)), n)
        tok = flat[np.repeat(starts[side], n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)]
        sides.append(pair * vocab + tok)
    both = np.concatenate(sides)
    both.sort()
    dup = both[1:][both[1:] == both[:-1]] // vocab
    inter = np.bincount(dup, minlength=len(idx))
    union = li[idx] + lj[idx] - inter
    mask[idx] = inter / union >= threshold
    return mask


def co_action_pairs(
    prep: Prepared, params: Params, chunk_pairs: int = CHUNK_PAIRS
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield chunks (row_i, post_i, post_j) of co-actions between different accounts (similarity checked)."""
    for ri, rj in window_pairs(prep, params.window_us, chunk_pairs):
        pi, pj = prep.row_post[ri], prep.row_post[rj]
        mask = prep.post_account[pi] != prep.post_account[pj]
        ri, pi, pj = ri[mask], pi[mask], pj[mask]
        if params.kind == "co-similar" and len(pi):
            # A pair of posts can share several prefix tokens: check each post pair once.
            n = len(prep.post_time)
            _, first = np.unique(pi * n + pj, return_index=True)
            ri, pi, pj = ri[first], pi[first], pj[first]
            ok = _similar(prep, pi, pj, params.similarity)
            ri, pi, pj = ri[ok], pi[ok], pj[ok]
        yield ri, pi, pj


def _merge(keys: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Add up the counts of equal keys over several tables, each sorted by key."""
    k = np.concatenate(keys)
    c = np.concatenate(counts)
    if len(k) > 1 and not (k[1:] >= k[:-1]).all():
        # Stable sort is timsort here: it merges the already sorted tables rather than sorting from scratch.
        order = np.argsort(k, kind="stable")
        k, c = k[order], c[order]
    last = np.flatnonzero(np.r_[k[1:] != k[:-1], True]) if len(k) else np.zeros(0, np.int64)
    if len(last) == len(k):
        return k, c
    # Sums over runs of equal keys as differences of a running total (reduceat is slow on millions of short runs).
    total = np.cumsum(c)[last]
    return k[last], np.diff(total, prepend=0)


def _edge_chunks(prep: Prepared, params: Params, chunk_pairs: int) -> Iterator[tuple[np.ndarray, float]]:
    """Yield chunks (source account * accounts + target account per (post, target account) co-action, share done)."""
    n_acc = max(len(prep.accounts), 1)
    one_row_per_post = bool(np.all(prep.row_post[1:] > prep.row_post[:-1]))
    if params.kind != "co-similar" and one_row_per_post:
        for source, target, done in _first_matches(prep, params.window_us, chunk_pairs):
            yield source * n_acc + target, done
        return
    total_posts = max(len(prep.post_time), 1)
    for _ri, pi, pj in co_action_pairs(prep, params, chunk_pairs):
        if len(pi):
            # Weight counts posts of the source, once per target account however many matching posts it has.
            post_target = sorted_unique(pi * n_acc + prep.post_account[pj])
            yield prep.post_account[post_target // n_acc] * n_acc + post_target % n_acc, float(pi.max()) / total_posts


def edge_codes(
    prep: Prepared,
    params: Params,
    progress: Callable[[float, str], None] | None = None,
    chunk_pairs: int = CHUNK_PAIRS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return directed edges (source code, target code, weight) with weight >= params.min_weight, sorted by codes."""
    n_acc = max(len(prep.accounts), 1)
    keys: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    held, limit = 0, MERGE_ROWS
    for edge, done in _edge_chunks(prep, params, chunk_pairs):
        if len(edge) == 0:
            continue
        k, c = sorted_unique(edge, counts=True)
        keys.append(k)
        counts.append(c)
        held += len(k)
        if held > limit:
            k, c = _merge(keys, counts)
            keys, counts, held = [k], [c], len(k)
            # Merging again only once the table has doubled keeps the total merge work linear.
            limit = max(MERGE_ROWS, 2 * held)
        if progress:
            progress(min(done, 0.99), "sweeping co-actions")
    if not keys:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    k, c = _merge(keys, counts) if len(keys) > 1 else (keys[0], counts[0])
    keep = c >= params.min_weight
    source, target = np.divmod(k[keep], n_acc)
    return source, target, c[keep].astype(np.int64, copy=False)


def co_action_edges(
    prep: Prepared,
    params: Params,
    progress: Callable[[float, str], None] | None = None,
    chunk_pairs: int = CHUNK_PAIRS,
) -> pd.DataFrame:
    """Return directed edges (source, target, weight) as account labels, weight >= params.min_weight, sorted."""
    source, target, weight = edge_codes(prep, params, progress, chunk_pairs)
    if len(source) == 0:
        return pd.DataFrame({"source": pd.Series(dtype=str), "target": pd.Series(dtype=str), "weight": []}).astype(
            {"weight": np.int64}
        )
    # Account codes follow the sorted labels and edges are sorted by code: rows are in (source, target) order.
    return pd.DataFrame(
        {
            "source": pd.Series(prep.accounts[source], dtype=object),
            "target": pd.Series(prep.accounts[target], dtype=object),
            "weight": weight,
        },
        copy=False,  # no copy into one 2-D block of labels: with millions of edges that copy is a third of this step
    )


def prepare_keys(
    post_account: np.ndarray, post_time: np.ndarray, post_key: np.ndarray, accounts: np.ndarray, params: Params
) -> Prepared:
    """Return co-post sweep arrays from integer columns: account code, time (µs) and text key per post.

    Accounts are `accounts[code]`; a text key of 0 is the empty text (left out unless params.match_empty).
    """
    params.check()
    rows = np.arange(len(post_key), dtype=np.int64)
    if not params.match_empty:
        rows = rows[post_key != 0]
    keys, row_key = np.unique(post_key[rows], return_inverse=True)
    return Prepared(
        accounts=accounts,
        post_account=post_account.astype(np.int64, copy=False),
        post_time=post_time.astype(np.int64, copy=False),
        row_post=rows,
        row_key=row_key.astype(np.int64, copy=False),
        keys=keys,
    )


def detect(
    posts: pd.DataFrame, params: Params, progress: Callable[[float, str], None] | None = None
) -> tuple[Prepared, pd.DataFrame]:
    """Prepare `posts` and return (the prepared arrays, the directed edges at or above the minimum weight)."""
    prep = prepare(posts, params)
    return prep, co_action_edges(prep, params, progress)
