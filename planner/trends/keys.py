"""Trend keys of monitored posts: hashtags, URLs, domains and terms (stop words of each post's language removed)."""

from __future__ import annotations

import importlib.util
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stop_words import LANGUAGE_MAPPING, get_stop_words

from planner.trends.params import KEY_KINDS, KINDS, Progress

# Posts are tokenised this many at a time, so memory stays flat however many posts there are.
CHUNK_POSTS = 100_000
# Threads tokenising chunks at once (besides the one reading posts and coding their keys).
TOKENISE_THREADS = 2
# Keys read but not yet merged into the vocabulary, at most (or as many as it holds, when more).
SETTLE_KEYS = 8_000_000
# Key codes rewritten at a time when the vocabulary settles (bounds the temporary arrays).
REMAP_SLICE = 4_000_000
# The vocabulary settles its keys in shards of about this many (a hash table that fits the CPU's caches).
SETTLE_SHARD_KEYS = 50_000
# Shards merged at once (Arrow's hashing runs without the GIL).
SETTLE_THREADS = 2
# Which kind of key best names a story, best first: a folded trend is headed by its best key.
KIND_RANK = {"hashtag": 0, "url": 1, "domain": 2, "term": 3, "narrative": 4}

# RE2 patterns (Arrow's regex engine); \p{L} and \p{M} are letters and marks of every script.
_TERM_NOISE_RE = r"(?:https?://|www\.)\S+|[@#][\p{L}\p{M}\p{N}_]+"
_TERM_SPLIT_RE = _TERM_NOISE_RE + r"|[^\p{L}\p{M}@#]+|[@#]"  # noise, or a run of non-letters
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
            words = _english_stop_words()  # the stop-words package's English list drops content words ("sees")
        elif code in LANGUAGE_MAPPING:
            words = get_stop_words(code)
        else:
            words = [w for c in _COMMON_LANGS for w in stop_words(c)]
        _STOP_CACHE[code] = frozenset(w.casefold() for w in words) | _PLATFORM_STOP
    return _STOP_CACHE[code]


def _english_stop_words() -> list[str]:
    """Return scikit-learn's English stop words, read from its data module without importing scikit-learn.

    Importing sklearn takes seconds (it loads scipy.stats and more); the list itself is one frozenset literal.
    """
    spec = importlib.util.find_spec("sklearn")  # finds the package without running its __init__
    path = Path(next(iter(spec.submodule_search_locations))) / "feature_extraction" / "_stop_words.py"
    try:
        module = importlib.util.module_from_spec(importlib.util.spec_from_file_location("_sklearn_stop_words", path))
        module.__spec__.loader.exec_module(module)
        return list(module.ENGLISH_STOP_WORDS)
    except (OSError, AttributeError):  # a scikit-learn that keeps the list elsewhere: the slow, public way
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return list(ENGLISH_STOP_WORDS)


def _arrow(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pd.Series):
        values = pa.array(values.fillna("").astype("str"), type=pa.large_string())
    else:
        values = pc.fill_null(values.cast(pa.large_string()), "")
    # Arrow-backed columns built from several batches come as chunked arrays: kernels below want one array.
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _languages(lang) -> tuple[np.ndarray, list[str]]:
    """Return (a code per post, the language of each code: its first two letters, lower case)."""
    encoded = pc.dictionary_encode(_arrow(lang))
    names = [value.lower()[:2] for value in encoded.dictionary.to_pylist()]
    return encoded.indices.to_numpy(zero_copy_only=False), names


def _split(values: pa.Array, pattern: str, regex: bool = True) -> tuple[np.ndarray, pa.Array]:
    """Split every string on a regex (or a plain string); return (row positions, non-empty parts), inside Arrow."""
    lists = pc.split_pattern_regex(values, pattern=pattern) if regex else pc.split_pattern(values, pattern=pattern)
    parts = pc.list_flatten(lists)
    rows = pc.list_parent_indices(lists)
    keep = pc.greater(pc.utf8_length(parts), 0)
    return pc.filter(rows, keep).to_numpy().astype(np.int64), pc.filter(parts, keep)


def _words(text) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Return (row position, word code, distinct words) of every word of every text, in order: lower-cased, with
    links, mentions and hashtags removed, split on every run of non-letters.

    One regex turns the noise and every run of non-letters into a space (the same words as removing the noise, then
    splitting on non-letters: noise starts at a letter, '@' or '#', which a run of non-letters never takes). It runs
    once per distinct space-separated token, not over the whole text: no match spans a space except a run of
    non-letters, which splits there anyway, and the pattern looks at nothing before where it starts.
    """
    tokens = pc.split_pattern(pc.utf8_lower(_arrow(text)), pattern=" ")
    token_rows = pc.list_parent_indices(tokens).to_numpy()
    encoded = pc.dictionary_encode(pc.list_flatten(tokens))
    token_code = encoded.indices.to_numpy(zero_copy_only=False)
    # The words of each distinct token, coded: words[starts[t] : starts[t] + counts[t]] are token t's.
    clean = pc.replace_substring_regex(encoded.dictionary, pattern=_TERM_SPLIT_RE, replacement=" ")
    token_of, parts = _split(clean, " ", regex=False)
    words = pc.dictionary_encode(parts)
    word_codes = words.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    counts = np.bincount(token_of, minlength=len(encoded.dictionary))
    starts = np.cumsum(counts) - counts
    # Every occurrence of a token stands for its words, in order.
    per_token = counts[token_code]
    occurrence = np.repeat(np.arange(len(token_code)), per_token)
    within = np.arange(len(occurrence)) - np.repeat(np.cumsum(per_token) - per_token, per_token)
    return token_rows[occurrence], word_codes[starts[token_code[occurrence]] + within], words.dictionary


def _terms(text, lang) -> tuple[np.ndarray, pa.DictionaryArray]:
    """Return (row positions, unigram and bigram terms) after removing each post's language's stop words.

    The terms come dictionary-encoded in first appearance order (words, then bigrams): words are coded once, and
    stop words, short words and bigrams are worked out on the codes, so only distinct terms are ever strings.
    """
    rows, code, distinct = _words(text)
    keep = pc.greater_equal(pc.utf8_length(distinct), 2).to_numpy(zero_copy_only=False)[code]
    # Languages as small integer codes per word (not a Python string per word).
    lang_codes, lang_values = _languages(lang)
    word_lang = lang_codes[rows]
    for n, name in enumerate(lang_values):
        sel = word_lang == n
        stop = pc.is_in(distinct, value_set=pa.array(sorted(stop_words(name)), pa.large_string()))
        keep[sel] &= ~stop.to_numpy(zero_copy_only=False)[code[sel]]
    rows, code = rows[keep], code[keep]
    code, kept = pd.factorize(code)  # codes of the words kept, in first appearance order
    kept_words = distinct.take(pa.array(kept))
    # Bigrams of neighbouring words that survive the stop list, within one post, coded as pairs of word codes.
    same = rows[1:] == rows[:-1]
    pair, pairs = pd.factorize(code[:-1][same] * len(kept) + code[1:][same])
    space = pa.scalar(" ", pa.large_string())
    bigrams = pc.binary_join_element_wise(
        kept_words.take(pa.array(pairs // max(len(kept), 1))),
        kept_words.take(pa.array(pairs % max(len(kept), 1))),
        space,
    )
    terms = pa.DictionaryArray.from_arrays(
        pa.array(np.concatenate([code, pair + len(kept)]), pa.int64()), pa.concat_arrays([kept_words, bigrams])
    )
    return np.concatenate([rows, rows[:-1][same]]), terms


def _chunk_keys(chunk: pd.DataFrame | pa.Table, kinds: tuple[str, ...]) -> dict[str, tuple[np.ndarray, pa.Array]]:
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


def chunk_keys(
    chunk: pd.DataFrame | pa.Table, kinds: tuple[str, ...]
) -> dict[str, tuple[np.ndarray, np.ndarray, pa.Array]]:
    """Return {kind: (row position in `chunk`, local code, the chunk's distinct keys)} of the posts of `chunk`
    (text, lang, hashtags, urls): each (row, key) once, ordered by (row, local code); local codes follow first
    appearance in the chunk. Chunks are independent, so they can be read by several threads."""
    out = {}
    for kind, (rows, values) in _chunk_keys(chunk, kinds).items():
        if not len(rows):
            continue
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        # first appearance order (terms come encoded so already)
        encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
        local = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        # Pairs come ordered by row, so the stable sort (radix/timsort, which uses the runs) beats quicksort.
        pairs = np.sort((rows.astype(np.int64) << 32) | local, kind="stable")
        pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]  # each (post, key) once
        out[kind] = (pairs >> 32, pairs & 0xFFFFFFFF, encoded.dictionary.cast(pa.large_string()))
    return out


class Labels:
    """A read-only column of strings kept in Arrow, not as a Python string per value (10M posts carry 8M keys):
    `labels[i]` is a str, `labels[codes]` an object array of them."""

    def __init__(self, values: pa.Array) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index):
        if np.ndim(index) == 0:
            return self.values[int(index)].as_py()
        return self.values.take(pa.array(np.asarray(index, dtype=np.int64))).to_numpy(zero_copy_only=False)

    def __iter__(self):
        return iter(self.values.to_pylist())

    def plus(self, more: list[str]) -> Labels:
        """Return these labels followed by `more`."""
        extra = pa.array(more, pa.large_string())
        if pa.types.is_dictionary(self.values.type):
            extra = pc.index_in(extra, value_set=self.values.dictionary).cast(self.values.type.index_type)
            indices = pa.concat_arrays([self.values.indices, extra])
            return Labels(pa.DictionaryArray.from_arrays(indices, self.values.dictionary))
        return Labels(pa.concat_arrays([self.values, extra]))


# Every kind a key can have, as the dictionary of Occurrences.kinds.
_KIND_NAMES = pa.array(list(KINDS), pa.large_string())


@dataclass
class Occurrences:
    """Which posts carry which trend keys, each (post, key) once: parallel arrays with the keys factorised."""

    post: np.ndarray  # row position in the posts frame
    key: np.ndarray  # code into keys / kinds
    keys: Labels  # key text per code
    kinds: Labels  # kind per code

    def __len__(self) -> int:
        return len(self.post)


class _Vocabulary:
    """Give every (kind, key) a stable code while chunks come in: code = position in its kind's list * 4 + kind.

    Positions follow first appearance. A chunk's codes are provisional (its distinct keys are appended, so a chunk
    costs only its own hashing); settle() merges the pending keys into the list in one hashing pass over it and
    returns, per kind, where each provisional position went. The caller rewrites the codes it stored.
    """

    def __init__(self) -> None:
        self.settled: dict[str, pa.Array] = {kind: pa.array([], pa.large_string()) for kind in KEY_KINDS}
        self.pending: dict[str, list[pa.Array]] = {kind: [] for kind in KEY_KINDS}
        self.pending_size = dict.fromkeys(KEY_KINDS, 0)

    def codes(self, kind: str, local: np.ndarray, distinct: pa.Array) -> np.ndarray:
        """Return the provisional codes of a chunk's keys, given as codes into its `distinct` keys."""
        offset = len(self.settled[kind]) + self.pending_size[kind]
        self.pending[kind].append(distinct)
        self.pending_size[kind] += len(distinct)
        return (local + offset) * len(KEY_KINDS) + KEY_KINDS.index(kind)

    def unsettled(self) -> bool:
        """Whether the pending keys outnumber the settled ones (and are many): time to settle."""
        pending = sum(self.pending_size.values())
        return pending > max(SETTLE_KEYS, sum(len(v) for v in self.settled.values()))

    def settle(self) -> dict[int, np.ndarray]:
        """Merge the pending keys; return {kind number: final position of each provisional position}."""
        moves = {}
        for k, kind in enumerate(KEY_KINDS):
            if not self.pending[kind]:
                continue
            settled = len(self.settled[kind])
            self.settled[kind], move = _merge(self.settled[kind], pa.concat_arrays(self.pending[kind]))
            moves[k] = np.concatenate([np.arange(settled, dtype=np.int32), move])
            self.pending[kind], self.pending_size[kind] = [], 0
        return moves

    def _rank(self, position: np.ndarray, kind: np.ndarray | int) -> np.ndarray:
        """Return the rank of code position * 4 + kind among every code in use (the same order, no gaps)."""
        rank = np.zeros(np.broadcast(position, kind).shape, dtype=np.int64)
        for j, name in enumerate(KEY_KINDS):
            rank += np.minimum(len(self.settled[name]), position + (j < np.asarray(kind)))
        return rank

    def code_table(self, moves: dict[int, np.ndarray], ranked: bool = False) -> np.ndarray:
        """Return a table from each code in use before settle() returned `moves` (position * 4 + kind) to its code
        now: its settled position * 4 + kind, or (`ranked`) its rank among the settled codes (the same order, no
        gaps). Codes are rewritten with one lookup each (_recode)."""
        width = len(KEY_KINDS)
        lengths = [len(moves[k]) if k in moves else len(self.settled[kind]) for k, kind in enumerate(KEY_KINDS)]
        table = np.zeros(width * max(lengths), dtype=np.int32)
        for k, length in enumerate(lengths):
            for lo in range(0, length, REMAP_SLICE):  # a slice at a time: _rank's temporaries are int64
                hi = min(lo + REMAP_SLICE, length)
                position = (moves[k][lo:hi] if k in moves else np.arange(lo, hi)).astype(np.int64)
                table[k::width][lo:hi] = self._rank(position, k) if ranked else position * width + k
        return table

    def labels(self) -> tuple[Labels, Labels]:
        """Return (key, kind) per compacted code; call after settle()."""
        ranks = np.concatenate([self._rank(np.arange(len(v)), k) for k, v in enumerate(self.settled.values())])
        at = np.empty(len(ranks), dtype=np.int64)
        at[ranks] = np.arange(len(ranks))  # the ranks are a permutation: which key has each code
        keys = pa.concat_arrays(list(self.settled.values())).take(pa.array(at))
        kind = np.concatenate([np.full(len(v), k, np.int8) for k, v in enumerate(self.settled.values())])
        kinds = pa.DictionaryArray.from_arrays(pa.array(kind[at]), _KIND_NAMES)
        return Labels(keys), Labels(kinds)


def _shards(values: pa.Array, shards: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (positions of `values` grouped by shard, ascending within each; where each shard starts and ends).

    A string's shard comes from its length and three of its bytes, so equal strings share a shard. Crafted keys
    that all fall in one shard make merging slower, never wrong. Worked out REMAP_SLICE strings at a time, so the
    temporary arrays stay small however many keys there are (15M at 10M posts).
    """
    values = values.cast(pa.large_binary())
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset : values.offset + len(values) + 1]
    data = values.buffers()[2]
    byte = np.frombuffer(data, dtype=np.uint8) if data is not None and data.size else np.zeros(1, dtype=np.uint8)
    shard = np.empty(len(values), dtype=np.uint16)
    for lo in range(0, len(values), REMAP_SLICE):
        hi = min(lo + REMAP_SLICE, len(values))
        start, end = offsets[lo:hi], offsets[lo + 1 : hi + 1]
        length = end - start
        mix = length.astype(np.uint64)
        for shift, at in ((16, start), (24, start + length // 2), (32, end - 1)):
            picked = byte[np.clip(at, 0, len(byte) - 1)]
            picked[length == 0] = 0  # an empty string has no bytes: its neighbour's must not decide
            mix |= picked.astype(np.uint64) << np.uint64(shift)
        mix *= np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the high bits mix every input bit
        shard[lo:hi] = (mix >> np.uint64(40)) % np.uint64(shards)
    order = np.argsort(shard, kind="stable")  # a radix sort; positions stay ascending within each shard
    return order, np.concatenate([[0], np.cumsum(np.bincount(shard, minlength=shards))])


def _merge(settled: pa.Array, pending: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Return (`settled` (distinct keys) followed by the keys of `pending` it lacks, in order of first appearance;
    the position there of each key of `pending`).

    The same as dictionary-encoding both at once, a shard of the keys at a time: Arrow's hash table of 3M short keys
    misses the CPU's caches at every lookup (1 s for 2.8M keys; 0.25 s in shards of 50,000), and that of 15M takes
    0.7 GB. Shards are merged by SETTLE_THREADS threads.
    """
    shards = min(max(1, -(-(len(settled) + len(pending)) // SETTLE_SHARD_KEYS)), 1 << 16)
    old_order, old_bounds = _shards(settled, shards)
    new_order, new_bounds = _shards(pending, shards)
    place = np.full(len(pending), -1, dtype=np.int64)  # position in settled, for the keys it has
    first_of = np.zeros(len(pending), dtype=np.int64)  # for the other keys: where in pending each first appears
    is_first = np.zeros(len(pending), dtype=bool)

    def merge_shard(shard: int) -> None:  # shards write disjoint positions, so they run in threads
        old = old_order[old_bounds[shard] : old_bounds[shard + 1]]
        new = new_order[new_bounds[shard] : new_bounds[shard + 1]]
        if not len(new):
            return
        encoded = pc.dictionary_encode(pa.concat_arrays([settled.take(pa.array(old)), pending.take(pa.array(new))]))
        code = encoded.indices.to_numpy(zero_copy_only=False)[len(old) :].astype(np.int64)
        known = code < len(old)
        place[new[known]] = old[code[known]]
        # Dictionary codes follow first appearance: a new key first appears where its code passes all before it.
        fresh, at = code[~known] - len(old), new[~known]
        firsts = np.ones(len(fresh), dtype=bool)
        firsts[1:] = fresh[1:] > np.maximum.accumulate(fresh)[:-1]
        is_first[at[firsts]] = True
        first_of[at] = at[firsts][fresh]

    with ThreadPoolExecutor(SETTLE_THREADS) as pool:
        list(pool.map(merge_shard, range(shards)))
    unknown = place < 0
    place[unknown] = len(settled) + (np.cumsum(is_first) - 1)[first_of[unknown]]
    merged = pa.concat_arrays([settled, pending.filter(pa.array(is_first))]) if is_first.any() else settled
    return merged, place.astype(np.int32)


def _recode(codes: np.ndarray, table: np.ndarray) -> None:
    """Rewrite key codes in place through `table` (_Vocabulary.code_table), a slice at a time."""
    for start in range(0, len(codes), REMAP_SLICE):
        part = codes[start : start + REMAP_SLICE]
        part[:] = table[part]


class _Column:
    """An int32 column that grows as chunks come in, reallocating rarely (so memory stays near its final size)."""

    def __init__(self) -> None:
        self.data = np.zeros(0, dtype=np.int32)
        self.size = 0

    def extend(self, values: np.ndarray, expect: int) -> None:
        end = self.size + len(values)
        if end > len(self.data):
            grown = np.zeros(max(end, expect, int(len(self.data) * 1.25)), dtype=np.int32)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : end] = values
        self.size = end

    def array(self) -> np.ndarray:
        # A view: the room to spare is a few percent (see KeyReader.add_keys), a copy would double the column.
        return self.data[: self.size]


class KeyReader:
    """Read the trend keys of posts given a chunk at a time, in order (chunks of CHUNK_POSTS posts, the last
    one shorter): the same Occurrences as extract_keys on all of them, without holding every text at once."""

    def __init__(self, kinds: tuple[str, ...] = KEY_KINDS, expect_posts: int = 0) -> None:
        self.kinds = kinds
        self.expect_posts = expect_posts
        self.vocab = _Vocabulary()
        self.post, self.key = _Column(), _Column()
        self.posts = 0

    def add(self, chunk: pd.DataFrame | pa.Table) -> None:
        """Read the keys of the next posts (text, lang, hashtags, urls)."""
        self.add_keys(chunk_keys(chunk, self.kinds), len(chunk))

    def add_keys(self, found: dict[str, tuple[np.ndarray, np.ndarray, pa.Array]], n_posts: int) -> None:
        """Add the keys chunk_keys found in the next `n_posts` posts."""
        start = self.posts
        posts, codes = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for kind, (rows, local, distinct) in found.items():
            posts.append(rows + start)
            codes.append(self.vocab.codes(kind, local, distinct))
        size = sum(map(len, posts))
        # Room for the pairs expected of every post still to come, at this chunk's rate, with 5% to spare.
        to_come = max(self.expect_posts - start - n_posts, 0)
        expect = self.post.size + int(size * (1 + 1.05 * to_come / max(n_posts, 1)))
        self.post.extend(np.concatenate(posts).astype(np.int32), expect)
        self.key.extend(np.concatenate(codes).astype(np.int32), expect)
        self.posts = start + n_posts
        if self.vocab.unsettled():
            _recode(self.key.data[: self.key.size], self.vocab.code_table(self.vocab.settle()))

    def result(self) -> Occurrences:
        # Codes interleave the kinds (position * 4 + kind), which leaves gaps where a kind has fewer keys: ranks
        # close them, so the key table holds only real keys.
        _recode(self.key.data[: self.key.size], self.vocab.code_table(self.vocab.settle(), ranked=True))
        keys, key_kinds = self.vocab.labels()
        return Occurrences(self.post.array(), self.key.array(), keys, key_kinds)


def read_keys(
    chunks: Iterable[pd.DataFrame | pa.Table],
    kinds: tuple[str, ...] = KEY_KINDS,
    expect_posts: int = 0,
    on_chunk: Callable[[pd.DataFrame | pa.Table, int], None] | None = None,
) -> Occurrences:
    """Return the Occurrences of the posts given a chunk at a time, in order (CHUNK_POSTS posts, the last shorter).

    Chunks are tokenised by TOKENISE_THREADS threads (Arrow's kernels run without the GIL) while the next ones are
    read; their keys are coded in order. `on_chunk(chunk, posts so far)` is called as each chunk comes in.
    """
    reader = KeyReader(kinds, expect_posts)
    waiting: deque[tuple[Future, int]] = deque()
    seen = 0
    with ThreadPoolExecutor(TOKENISE_THREADS) as pool:
        for chunk in chunks:
            waiting.append((pool.submit(chunk_keys, chunk, kinds), len(chunk)))
            seen += len(chunk)
            if on_chunk:
                on_chunk(chunk, seen)
            while waiting and (len(waiting) > TOKENISE_THREADS or waiting[0][0].done()):
                found, n_posts = waiting.popleft()
                reader.add_keys(found.result(), n_posts)
        while waiting:
            found, n_posts = waiting.popleft()
            reader.add_keys(found.result(), n_posts)
    return reader.result()


def extract_keys(
    posts: pd.DataFrame, kinds: tuple[str, ...] = KEY_KINDS, progress: Progress | None = None
) -> Occurrences:
    """Return every (post, trend key) pair of `posts` (text, lang, hashtags, urls), vectorised in chunks."""
    n = len(posts)
    chunks = (posts.iloc[start : start + CHUNK_POSTS] for start in range(0, max(n, 1), CHUNK_POSTS))
    report = (lambda _c, done: progress(done / max(n, 1), f"Reading trend keys: {done:,} posts")) if progress else None
    return read_keys(chunks, kinds, n, report)


def add_narratives(occ: Occurrences, posts: pd.DataFrame, narratives: pd.DataFrame | None) -> Occurrences:
    """Return `occ` plus one key per narrative (`narratives`: post_id, key) for the posts it holds."""
    if narratives is None or narratives.empty:
        return occ
    pos = pd.Series(np.arange(len(posts)), index=posts["id"].to_numpy())
    joined = narratives.assign(p=pos.reindex(narratives["post_id"].to_numpy()).to_numpy()).dropna(subset=["p"])
    codes, uniques = pd.factorize(joined["key"])
    offset = len(occ.keys)
    return Occurrences(
        np.concatenate([occ.post, joined["p"].to_numpy(np.int32)]),
        np.concatenate([occ.key, (codes + offset).astype(np.int32)]),
        occ.keys.plus([str(u) for u in uniques]),
        occ.kinds.plus(["narrative"] * len(uniques)),
    )
