"""Trend keys: normalised hashtags, URLs, domains and terms, each counted once per post."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.trends import keys


def test_keys_are_normalised_and_counted_once_per_post():
    posts = pd.DataFrame(
        {
            "text": ["The Lantern sees the lantern #X", "Фонарь видит город и фонарь", "الفانوس يرى المدينة"],
            "lang": ["en", "ru", "ar"],
            "hashtags": ["GreyLantern greylantern", "", ""],
            "urls": ["https://WWW.Lantern-Voice.example/a http://lantern-voice.example/b", "", ""],
        }
    )
    occ = keys.extract_keys(posts)
    pairs = {(int(p), occ.kinds[k], occ.keys[k]) for p, k in zip(occ.post, occ.key, strict=True)}
    assert (0, "hashtag", "#greylantern") in pairs
    assert sum(1 for p in pairs if p[1] == "hashtag") == 1
    assert (0, "domain", "lantern-voice.example") in pairs
    assert sum(1 for p in pairs if p[1] == "url") == 2
    terms0 = {k for p, kind, k in pairs if p == 0 and kind == "term"}
    assert terms0 == {"lantern", "sees", "lantern sees", "sees lantern"}  # 'the' and '#x' removed
    terms1 = {k for p, kind, k in pairs if p == 1 and kind == "term"}
    assert "и" not in terms1 and "фонарь" in terms1 and "город фонарь" in terms1  # Russian stop word dropped
    assert "الفانوس" in {k for p, kind, k in pairs if p == 2}
    assert len(occ) == len(pairs)


def test_stop_words_by_language():
    assert "the" in keys.stop_words("en") and "и" in keys.stop_words("ru")
    assert "the" not in keys.stop_words("ru")
    assert {"the", "и", "rt"} <= keys.stop_words("")  # unknown language: every list


def test_narratives_become_keys_of_their_posts():
    posts = pd.DataFrame({"id": [10, 11, 12], "text": "", "lang": "en", "hashtags": ["a", "", ""], "urls": ""})
    occ = keys.extract_keys(posts, ("hashtag",))
    joined = keys.add_narratives(occ, posts, pd.DataFrame({"post_id": [11, 12, 99], "key": ["story", "story", "x"]}))
    narrative_posts = sorted(
        int(p) for p, k in zip(joined.post, joined.key, strict=True) if joined.kinds[k] == "narrative"
    )
    assert narrative_posts == [1, 2]  # row positions; post 99 is not among the posts
    assert keys.add_narratives(occ, posts, None) is occ


def test_kind_rank_puts_hashtags_first():
    assert sorted(keys.KIND_RANK, key=keys.KIND_RANK.get)[:4] == ["hashtag", "url", "domain", "term"]


HOSTILE = [
    "!!#tag word",
    "x.www.foo.com/bar ok",
    "@ hello",
    "#https://x.com yes",
    "a1#b c",
    "Ünï-code مرحبا بالعالم",
    "foohttps://x.com bar",
    "@@##word and@mention",
    "e-mail me@x.org ok",
    "\u202eevil\u202c text",
    "Ж Ёж ёж_жж 12ab",
    "",
]


def _defined_words(texts: list[str]) -> list[list[str]]:
    """The definition, in two regex passes over each whole text: remove the noise, split on non-letters."""
    low = pc.utf8_lower(pa.array(texts, pa.large_string()))
    clean = pc.replace_substring_regex(low, pattern=keys._TERM_NOISE_RE, replacement=" ")
    lists = pc.split_pattern_regex(clean, pattern=r"[^\p{L}\p{M}]+")
    return [[w for w in words if w] for words in lists.to_pylist()]


def _module_words(texts: list[str]) -> list[list[str]]:
    rows, code, distinct = keys._words(pa.array(texts, pa.large_string()))
    got = [[] for _ in texts]
    for row, word in zip(rows.tolist(), distinct.take(pa.array(code)).to_pylist(), strict=True):
        got[row].append(word)
    return got


def test_words_are_those_left_when_noise_is_removed_then_non_letters_split():
    want = _defined_words(HOSTILE)
    assert _module_words(HOSTILE) == want
    assert want[0] == ["word"] and want[3] == ["x", "com", "yes"] and want[6] == ["foo", "bar"]


# Pieces of hostile text: every kind of space, noise starts inside and across words, marks, digits, other scripts.
_PIECES = st.sampled_from(
    [" ", "  ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "\u2003", "\u3000", "http://", "https://", "www.", "@", "#",
     "#tag", "@user", "a", "B", "é", "e\u0301", "ß", "Σ", "ж", "مرحبا", "日本", "5", "_", "-", ".", "/", ":", "'",
     "x.y", "\u202e", "\U0001f600", "İ"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=12).map("".join), min_size=1, max_size=6))
def test_words_of_distinct_tokens_equal_the_definition_over_whole_texts(texts):
    # The module runs the regex once per distinct space-separated token; the definition over each whole text.
    assert _module_words(texts) == _defined_words(texts)


def test_chunks_give_the_same_keys_as_one_pass(monkeypatch):
    posts = pd.DataFrame({"text": HOSTILE * 30, "lang": ["en", "", "ru", "ar"] * 90, "hashtags": "a B", "urls": ""})
    posts["urls"] = ["https://WWW.Ex.com/a", "", "http://user@host.org:80/x"] * 120
    whole = keys.extract_keys(posts)
    monkeypatch.setattr(keys, "CHUNK_POSTS", 7)
    whole_small_chunks = keys.extract_keys(posts)  # the vocabulary settles once, at the end
    monkeypatch.setattr(keys, "SETTLE_KEYS", 20)  # now it settles many times, codes rewritten in slices
    monkeypatch.setattr(keys, "REMAP_SLICE", 33)
    reader = keys.KeyReader(expect_posts=len(posts))
    for start in range(0, len(posts), 7):
        reader.add(posts.iloc[start : start + 7])
    chunked = reader.result()
    pairs = {(int(p), whole.kinds[k], whole.keys[k]) for p, k in zip(whole.post, whole.key, strict=True)}
    assert {
        (int(p), chunked.kinds[k], chunked.keys[k]) for p, k in zip(chunked.post, chunked.key, strict=True)
    } == pairs
    assert len(chunked) == len(whole) and (0, "term", "word") in pairs
    # Codes follow first appearance, however often the vocabulary settled.
    assert list(chunked.keys) == list(whole_small_chunks.keys)
    assert list(chunked.kinds) == list(whole_small_chunks.kinds)


@pytest.mark.parametrize("shard_keys", [50_000, 97, 5])
def test_merging_by_shards_equals_one_dictionary_encoding(monkeypatch, shard_keys):
    monkeypatch.setattr(keys, "SETTLE_SHARD_KEYS", shard_keys)
    monkeypatch.setattr(keys, "REMAP_SLICE", 7 if shard_keys < 100 else keys.REMAP_SLICE)  # shards found in slices
    rng = np.random.default_rng(3)
    words = np.array([f"w{'x' * (i % 7)}{i}" for i in range(500)] + ["", "é", "w"], dtype=object)
    settled = pa.array(list(dict.fromkeys(words[rng.integers(0, 250, 300)])), pa.large_string())
    # A slice (its offsets start inside the buffer) holding every word, the empty one too.
    pending = pa.array(list(words[rng.integers(0, len(words), 2_000)]) + list(words), pa.large_string()).slice(7)
    encoded = pc.dictionary_encode(pa.concat_arrays([settled, pending]))
    merged, place = keys._merge(settled, pending)
    assert merged.to_pylist() == encoded.dictionary.to_pylist()
    assert place.tolist() == encoded.indices.to_numpy()[len(settled) :].tolist()
    assert len(merged) > len(settled)  # some keys were new, some known
