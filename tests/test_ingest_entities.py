"""Entities over whole columns give exactly what planner.text's per-post rules give, on real and hostile texts."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import text as tx
from planner.ingest import entities

HOSTILE = [
    "",
    "#",
    "#123 #_ #a1 #1a",
    "start #first and end #last",
    "a#glued &#amp; x#y #ok",
    "＃全角タグ and ＠fullwidth_user",
    "#Valleyton #VALLEYTON #valleyton repeats",
    "@@double @ok_user x@y.example email@example.org @toolong" + "x" * 70,
    "line one #tag\nline two @user\nhttps://x.example/a\r\nwww.y.example/b.",
    "(see https://x.example/a_(b)) and [read](https://x.example/c) <https://x.example/d>",
    "https://x.example/path?utm_source=a&id=3#frag, https://X.Example:443/path?id=3.",
    "WwW.Example.com/Page and wWw.example.com/page!",
    "http://t.co/abc https://t.co/abc?x=1 …",
    "javascript:alert(1) mailto:a@b.example https://[::1]/x https://bad host/",
    "#الحرية_للجميع #مَرْحَبًا ــــ @arabic_user",
    "#Москва #москва @Moscow_News",
    "zero\u200dwidth #zw\u200cnj #e\u0301cole",
    "emoji 🏮#lantern 🏮 @user🏮 https://x.example/🏮",
    "#tag" * 50,
    "a" * 5000 + " #after https://long.example/" + "b" * 3000,
    "quotes «https://x.example/q» “https://x.example/r” 'https://x.example/s'",
    "trailing https://x.example/t... https://x.example/u?! https://x.example/v*_~",
    "\u202eevil\u202c #bidi @bidi_user https://bidi.example/\u202e",
    "tab\t#tab\t@tab\thttps://tab.example/",
    # Words the simple patterns take whole, beside near misses that go to the entity's own pattern.
    "#plain #a_1 #_x #9z ＃wide #9 #tag, #tag. #té @a @" + "b" * 64 + " @" + "c" * 65 + " @x.y ＠wide",
    "https://x.example/a?b=1&c=2#f HTTP://X.EXAMPLE/ www.x.example https:// https://x.example/ z",
    'https://x.example/a. www.x.example/(b) https://x.example/"q" https://x.example/%20{x}|^~',
]


def _fixture_texts() -> list[str]:
    pheme = pd.read_csv(FIXTURES / "pheme" / "pheme_source_tweets.csv", dtype=str, keep_default_na=False)
    telegram = pd.read_csv(
        FIXTURES / "telegram" / "telegram_posts_2024-11-26_2024-12-03.csv.gz", dtype=str, keep_default_na=False
    )
    tweets = []
    for name in ("putinmissing", "germanwings-crash"):
        with gzip.open(FIXTURES / "pheme" / f"{name}-all-rnr-threads.rumours.json.gz") as fh:
            tweets += [t.get("text") or "" for t in json.load(fh)]
    return pheme["text"].tolist() + telegram["text"].tolist() + tweets


def _per_post(texts: list[str]) -> dict[str, list[str]]:
    return {
        "hashtags": [" ".join(tx.extract_hashtags(t)) for t in texts],
        "mentions": [" ".join(tx.extract_mentions(t)) for t in texts],
        "urls": [" ".join(tx.unique(map(tx.normalise_url, tx.extract_urls(t)))) for t in texts],
    }


def _columns(texts: list[str]) -> dict[str, list[str]]:
    column = entities.as_arrow(texts)
    return {
        "hashtags": entities.hashtag_column(column),
        "mentions": entities.mention_column(column),
        "urls": entities.url_column(column),
    }


@pytest.mark.parametrize("name", ["fixtures", "hostile"])
def test_columns_match_per_post_rules(name):
    texts = _fixture_texts() if name == "fixtures" else HOSTILE
    expected, got = _per_post(texts), _columns(texts)
    for kind in expected:
        diffs = [(t, e, g) for t, e, g in zip(texts, expected[kind], got[kind], strict=True) if e != g]
        assert not diffs, (kind, diffs[:3])
    if name == "fixtures":  # the real texts do hold entities of every kind
        assert all(sum(bool(v) for v in got[kind]) > 100 for kind in got)


def test_hostile_values():
    got = _columns(HOSTILE)
    assert got["hashtags"][2] == "a1 1a"  # digits or "_" alone are no hashtag
    assert got["hashtags"][4] == "ok"
    assert got["hashtags"][6] == "valleyton"
    assert got["mentions"][7] == "ok_user"
    assert got["urls"][8] == "https://x.example/a https://y.example/b"
    assert got["urls"][9] == "https://x.example/a_(b) https://x.example/c https://x.example/d"
    assert got["urls"][10] == "https://x.example/path?id=3"
    assert got["urls"][11] == "https://example.com/Page https://example.com/page"
    assert got["hashtags"][14] == "الحرية_للجميع مرحبا"


TRICKY = list("#＃@＠ a_1é\u0301\n\r\t&.()[]/:wWhtps.ءа😀\u200d\u00a0")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=st.sampled_from(TRICKY), max_size=40)))
def test_columns_match_per_post_rules_on_random_texts(texts):
    expected, got = _per_post(texts), _columns(texts)
    assert got == expected


def test_source_lists_win_where_given():
    texts = ["#from_text @from_text https://t.co/short https://kept.example/", "#only_text @only https://x.example/"]
    column = entities.as_arrow(texts)
    tags = pd.Series(["Listed|#Second, listed", None], dtype=object)
    mentions = pd.Series(["@Someone;other", None], dtype=object)
    urls = pd.Series(["https://expanded.example/a?utm_source=x|https://kept.example", None], dtype=object)
    assert entities.hashtag_column(column, tags) == ["listed second", "only_text"]
    assert entities.mention_column(column, mentions) == ["someone other", "only"]
    # Listed links first; the text's shortened links are dropped where the source expanded them.
    assert entities.url_column(column, urls) == [
        "https://expanded.example/a https://kept.example",
        "https://x.example",
    ]


def test_join_per_post_keeps_order_and_drops_repeats():
    rows = np.array([0, 0, 0, 2, 3, 3])
    values = np.array(["b", "a", "b", "x", "", "y"], dtype=object)
    assert entities.join_per_post(5, rows, values) == ["b a", "", "x", "y", ""]


@pytest.mark.parametrize("large", [False, True])
def test_holding_equals_match_substring(large):
    """The byte scan marks exactly the strings Arrow's match_substring finds a hint in, across string edges too."""
    texts = ["#a", "a#", "", "x@y", "＃tag", "w", ".x", "http://a", "x:/", "/z", "W.b", "ab", "@", "＠b", "é#", ":"]
    arr = pa.array(texts * 3, type=pa.large_string() if large else pa.string()).slice(2, 40)
    for hints in (entities.HASHTAG_HINTS, entities.MENTION_HINTS, entities.URL_HINTS, ("w.", "/z")):
        expected = np.zeros(len(arr), dtype=bool)
        for hint in hints:
            expected |= pc.match_substring(arr, hint).to_numpy(zero_copy_only=False)
        assert entities.holding(arr, hints).tolist() == expected.tolist()
    assert entities.holding(pa.array([], pa.string()), ("#",)).tolist() == []
    assert entities.holding(pa.array(["", ""]), ("#",)).tolist() == [False, False]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["#", "＃", "@", "＠", "https://", "HTTP://", "www.", "x"]),
    st.text(alphabet=st.sampled_from(list("aZksK09_.,:/?#@&%()\"'é\u00a0\u200d\u212a\u017f-~")), max_size=12),
)
def test_a_word_the_simple_pattern_takes_is_one_match_of_the_full_one(prefix, rest):
    word = prefix + rest
    for simple, pattern in (
        (entities.SIMPLE_HASHTAG, tx.HASHTAG_RE),
        (entities.SIMPLE_MENTION, tx.MENTION_RE),
        (entities.SIMPLE_URL, tx.URL_RE),
    ):
        if pc.match_substring_regex(pa.array([word]), simple[0])[0].as_py():
            assert pattern.findall(word) == [word[simple[1] :]], word
        elif simple is entities.SIMPLE_URL and word.startswith(("https://", "HTTP://", "www.")) and rest.isalnum():
            assert rest.isascii() is False, word  # a plain ASCII link is always simple
