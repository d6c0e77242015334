"""Entity columns of a chunk of posts (hashtags, mentions, URLs) found across whole columns at once.

The rules are planner.text's (HASHTAG_RE, MENTION_RE, URL_RE and their normal forms); instead of one call per post,
the texts are cut into words with Arrow, the words that can hold an entity are joined into one string, the pattern
runs over it once, and each match is mapped back to its post. Normal forms are computed once per distinct value.
tests/test_ingest_entities.py checks the results equal the per-post functions' on real and hostile texts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import regex

from planner import text as tx
from planner.arrowbytes import string_bytes

# Cheap literal filters run on all words first: a word without one of these cannot hold the entity.
HASHTAG_HINTS = ("#", "＃")
MENTION_HINTS = ("@", "＠")
URL_HINTS = ("://", "w.", "W.")  # "www." in any case (a literal search beats a case-insensitive one)
# Words that are one entity and nothing else, in ASCII (RE2, matched whole): (pattern, characters before the value).
# Their match is known without the entity's own pattern: tests/test_ingest_entities.py checks they agree.
SIMPLE_HASHTAG = (r"^[#＃][A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*$", 1)
SIMPLE_MENTION = (r"^[@＠][A-Za-z0-9_]{1,64}$", 1)
# Printable ASCII but for what ends a link in URL_RE (brackets only count in pairs there, so none are simple). Only
# the scheme ignores case: RE2 would fold the class too, and "s" and "k" have case pairs beyond ASCII.
SIMPLE_URL = (r"^(?i:https?://|www\.)[^\x00-\x20\x7f-\x{10ffff}()\[\]<>\"'\x60]+$", 0)
# Links in the text that the source's expanded URLs replace.
SHORTENERS = ("https://t.co/",)


def joined_text(texts: pa.Array) -> str:
    """Return the texts as one string, each followed by a line break (line breaks inside a text become spaces)."""
    one_line = pc.replace_substring(texts.fill_null(""), "\n", " ")
    blank, sep = pa.scalar("", one_line.type), pa.scalar("\n", one_line.type)
    ended = pc.binary_join_element_wise(one_line, blank, sep)
    ended = ended.combine_chunks() if isinstance(ended, pa.ChunkedArray) else ended
    return string_bytes(ended)[1].tobytes().decode("utf-8")


@cache
def _with_breaks(pattern):
    """Return `pattern` that also matches a line break, as an empty first group (entities are never empty)."""
    body, flags = pattern.pattern, ""
    if body.startswith("(?i)"):
        body, flags = body[4:], "(?i)"
    if not pattern.groups:
        body = f"({body})"
    return regex.compile(f"{flags}\n|{body}")


@dataclass(frozen=True)
class Words:
    """A chunk's texts cut at spaces: every word, and the position of the post it belongs to.

    No entity spans a space, and a look-around sees a space and a line break alike: the entities of the words are
    those of the texts. Cut once per chunk, shared by the three kinds of entity.
    """

    flat: pa.Array
    posts: pa.Array
    count: int

    @classmethod
    def of(cls, texts: pa.Array | Words) -> Words:
        if isinstance(texts, Words):
            return texts
        lists = pc.split_pattern(texts.fill_null(""), " ")
        return cls(pc.list_flatten(lists), pc.list_parent_indices(lists), len(texts))


def find_all(
    texts: pa.Array | Words, pattern, hints: tuple[str, ...], simple: tuple[str, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return (post positions, first group of each match) for `pattern` over `texts`, in text order.

    Only words holding one of the literal `hints` can match; they are joined with line breaks and searched with one
    findall, in C. A match's word is the number of line breaks before it. `simple` is (RE2 pattern, characters to
    drop): a word it matches whole is one match of `pattern`, that word without its first characters (a plain
    #hashtag, @handle or link, the usual case); those skip the findall.
    """
    words = Words.of(texts)
    hinted = np.flatnonzero(holding(words.flat, hints))
    if not len(hinted):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    easy_words, easy_values = np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    if simple is not None:
        candidates = words.flat.take(pa.array(hinted))
        easy = pc.match_substring_regex(candidates, simple[0]).to_numpy(zero_copy_only=False)
        easy_words = hinted[easy]
        easy_values = pc.utf8_slice_codeunits(candidates.filter(pa.array(easy)), simple[1]).to_numpy(
            zero_copy_only=False
        )
        hinted = hinted[~easy]
    found = np.empty(0, dtype=object)
    if len(hinted):
        found = np.array(_with_breaks(pattern).findall(joined_text(words.flat.take(pa.array(hinted)))), dtype=object)
    breaks = found == ""
    hard_words = hinted[np.cumsum(breaks)[~breaks]] if len(found) else np.empty(0, dtype=np.int64)
    which = np.concatenate([easy_words, hard_words])
    values = np.concatenate([easy_values, found[~breaks]])
    order = np.argsort(which, kind="stable")  # a word's several matches keep their order
    return words.posts.to_numpy()[which[order]], values[order]


def holding(strings: pa.Array, hints: tuple[str, ...]) -> np.ndarray:
    """Return per string whether it holds one of the literal `hints`: one scan of the bytes of the Arrow buffer.

    The same as or-ing pyarrow's match_substring over the hints, several times faster (one comparison per byte and
    hint byte, no per-string call).
    """
    out = np.zeros(len(strings), dtype=bool)
    offsets, data = string_bytes(strings)
    for hint in hints:
        code = np.frombuffer(hint.encode(), dtype=np.uint8)
        span = len(data) - len(code) + 1
        if span <= 0:
            continue
        match = data[:span] == code[0]
        for k in range(1, len(code)):
            match &= data[k : span + k] == code[k]
        starts = np.flatnonzero(match)
        where = np.searchsorted(offsets, starts, side="right") - 1  # the string each match starts in
        inside = starts + len(code) <= offsets[where + 1]  # and ends in (not across into the next)
        out[where[inside]] = True
    return out


def _normal(values, key: Callable[[str], str]) -> np.ndarray:
    """Return key(v) for each value, computed once per distinct value."""
    if not len(values):
        return np.empty(0, dtype=object)
    codes, distinct = pd.factorize(pd.Series(values, dtype=object), sort=False)
    return np.array([key(v) for v in distinct], dtype=object)[codes]


def join_per_post(n: int, rows: np.ndarray, values: np.ndarray) -> list[str]:
    """Return, for each of `n` posts, its non-empty `values` in order without repeats, joined by spaces."""
    out = np.full(n, "", dtype=object)
    if not len(rows):
        return out.tolist()
    found = pd.DataFrame({"row": rows, "value": values})
    found = found[found["value"] != ""].drop_duplicates()
    rows, values = found["row"].to_numpy(), found["value"].to_numpy(dtype=object)
    per_post = np.bincount(rows, minlength=n)
    single = per_post[rows] == 1  # most posts have one entity of a kind: no joining needed
    out[rows[single]] = values[single]
    several = ~single
    if several.any():
        rows, values = rows[several], values[several]
        bounds = np.flatnonzero(np.diff(rows)) + 1
        for part_rows, part in zip(np.split(rows, bounds), np.split(values, bounds), strict=True):
            out[part_rows[0]] = " ".join(part)
    return out.tolist()


def _listed(values: pd.Series, splitter: str) -> tuple[np.ndarray, list[str]]:
    """Return (positions, items) of a source's own list column (None: the source did not say)."""
    given = values.notna().to_numpy()
    if not given.any():
        return np.empty(0, dtype=np.int64), []
    items = values[given].astype(str).str.replace(splitter, " ", regex=True).str.split().explode().dropna()
    return items.index.to_numpy().astype(np.int64), items.tolist()  # the index is the post's position


def hashtag_column(texts: pa.Array | Words, source: pd.Series | None = None) -> list[str]:
    """Return each post's hashtags (normal forms, space-separated): the source's own list where given, else found."""
    return _entities(texts, source, tx.HASHTAG_RE, HASHTAG_HINTS, SIMPLE_HASHTAG, tx.hashtag_key, tx.hashtag_key)


def mention_column(texts: pa.Array | Words, source: pd.Series | None = None) -> list[str]:
    """Return each post's mentioned handles (lower case, without '@', space-separated), as hashtag_column does."""
    return _entities(
        texts, source, tx.MENTION_RE, MENTION_HINTS, SIMPLE_MENTION, str.lower, lambda m: m.lstrip("@＠").lower()
    )


def _entities(texts, source, pattern, hints, simple, key, source_key) -> list[str]:
    words = Words.of(texts)
    rows, values = find_all(words, pattern, hints, simple)
    if source is None or not source.notna().any():
        return join_per_post(words.count, rows, _normal(values, key))
    given = source.notna().to_numpy()
    rows, values = rows[~given[rows]], values[~given[rows]]  # the source's list wins where it has one
    listed_rows, listed = _listed(source, r"[|,;]")
    all_rows = np.concatenate([rows, listed_rows])
    all_values = np.concatenate([_normal(values, key), _normal(listed, source_key)])
    order = np.argsort(all_rows, kind="stable")
    return join_per_post(words.count, all_rows[order], all_values[order])


def url_column(texts: pa.Array | Words, source: pd.Series | None = None) -> list[str]:
    """Return each post's links in normal form (space-separated, in order, without repeats).

    Where the source lists its expanded URLs, those come first and replace the shortened links in the text.
    """
    words = Words.of(texts)
    n = words.count
    rows, values = find_all(words, tx.URL_RE, URL_HINTS, SIMPLE_URL)
    normal = _normal([v.rstrip(tx.URL_TRAILING) for v in values], tx.normalise_url)
    if source is None or not source.notna().any():
        return join_per_post(n, rows, normal)
    listed_rows, listed = _listed(source, r"\|")
    given = source.notna().to_numpy()
    keep = ~given[rows] | ~np.array([u.startswith(SHORTENERS) for u in normal], dtype=bool)
    all_rows = np.concatenate([listed_rows, rows[keep]])
    all_values = np.concatenate([_normal(listed, tx.normalise_url), normal[keep]])
    order = np.argsort(all_rows, kind="stable")
    return join_per_post(n, all_rows[order], all_values[order])


def as_arrow(texts: Sequence[str] | pd.Series) -> pa.Array:
    """Return the texts as an Arrow string array (the form the column functions take); a column pandas holds in
    Arrow already is not copied."""
    arr = pa.array(texts.array if isinstance(texts, pd.Series) else texts, type=pa.large_string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def source_list(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """Return the source's own list column `name` by position (None where the source did not say), or None."""
    if name not in frame:
        return None
    values = frame[name].reset_index(drop=True)
    return values.astype(object).where(values.notna(), None)
