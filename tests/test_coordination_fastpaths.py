"""The vectorised fast paths of planner.coordination.networks give exactly what the plain definitions give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.coordination import networks
from planner.coordination.networks import Params, co_action_edges, normalise_text, normalise_texts, prepare

# Characters where Python, the `regex` module and Arrow disagree on case or whitespace, plus plain ones.
TRICKY = "aZ @#.  \t\n\x0b\x0c\r\x1c\x1f\x00\x7f\x85\xa0\u2003\u3000ÄßΣσİK\u212aé🙂"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet=TRICKY, max_size=12), st.none()), max_size=25))
def test_vectorised_normalisation_equals_normalise_text(texts):
    series = pd.Series(texts, dtype=object)
    expected = [normalise_text(t or "") for t in texts]
    assert list(normalise_texts(series)) == expected
    codes, keys = networks._text_codes(series)
    assert list(np.asarray(keys, dtype=object)[codes]) == expected
    assert len(set(keys)) == len(keys)  # one code per normalised text


def test_every_separator_ends_a_mention_and_a_word_as_in_normalise_text():
    texts = [f"Hi @a{c}b{c}{c}C@d{c}" for c in TRICKY] + [f"{c}x{c}@{c}" for c in TRICKY]
    assert list(normalise_texts(pd.Series(texts))) == [normalise_text(t) for t in texts]


@pytest.mark.parametrize("block", [1, 2, 3, 7, 1 << 22])
def test_byte_scan_flags_the_texts_lowercasing_cannot_normalise(block):
    texts = ["", "ab", "a b", " x", "x ", "a  b", "q@", "ü", "a\tb", "~", "\x7f", " ", "a\x1cb", "plain words"]
    strings = pa.array(texts * 3, pa.large_string())
    got = networks._needs_full_normalisation(strings, block)
    # Flagged: changed by normalisation, or non-ASCII or a control character (checked in Python, to be safe).
    assert list(got[: len(texts)]) == [normalise_text(t) != t or not t.isascii() or t in ("\x7f",) for t in texts]
    assert list(got) == list(got[: len(texts)]) * 3
    assert list(networks._needs_full_normalisation(strings.slice(2, 5), block)) == list(got[2:7])


def test_fallbacks_for_wide_windows_and_time_ranges_agree_with_the_fast_ones():
    rng = np.random.default_rng(5)
    key = np.sort(rng.integers(0, 30, 500))
    time = rng.integers(0, 10_000, 500) * 1_000_000
    order = networks._by_object_then_time(key, time)
    slow_order = networks._by_object_then_time(key, time, limit=1)
    assert (key[order] == key[slow_order]).all() and (time[order] == time[slow_order]).all()
    sk, st_ = key[order], time[order]
    for window in (0, 1_000_000, 60_000_000, 10**16):
        fast = networks._window_bounds(sk, st_, window)
        slow = networks._window_bounds(sk, st_, window, limit=1)
        assert all((a == b).all() for a, b in zip(fast, slow, strict=True)), window
    values = rng.integers(0, 50, 400)
    assert (networks._stable_order(values) == np.argsort(values, kind="stable")).all()
    assert (networks._stable_order(values * 2**58) == np.argsort(values * 2**58, kind="stable")).all()


def pair_edges(prep, params) -> pd.DataFrame:
    """Edges from every post pair (window_pairs), the direct definition the first-match sweep must reproduce."""
    pairs = [(prep.row_post[i], prep.row_post[j]) for i, j in networks.window_pairs(prep, params.window_us)]
    pi = np.concatenate([p for p, _ in pairs]) if pairs else np.zeros(0, np.int64)
    pj = np.concatenate([q for _, q in pairs]) if pairs else np.zeros(0, np.int64)
    frame = pd.DataFrame({"post": pi, "source": prep.post_account[pi], "target": prep.post_account[pj]})
    frame = frame[frame["source"] != frame["target"]].drop_duplicates()
    weights = frame.groupby(["source", "target"]).size()
    weights = weights[weights >= params.min_weight]
    return pd.DataFrame(
        {
            "source": prep.accounts[weights.index.get_level_values(0).to_numpy()],
            "target": prep.accounts[weights.index.get_level_values(1).to_numpy()],
            "weight": weights.to_numpy(np.int64),
        }
    )


@pytest.mark.parametrize("kind", ["co-post", "co-repost"])
@pytest.mark.parametrize("window", [0, 7, 60, 10**9])
def test_first_match_sweep_equals_all_pairs(kind, window):
    rng = np.random.default_rng(window % 97)
    n = 3000
    frame = pd.DataFrame(
        {
            "account": [f"a{k}" for k in rng.integers(0, 40, n)],
            "created_at": pd.Timestamp("2026-11-10T18:00Z") + pd.to_timedelta(rng.integers(0, 600, n), unit="s"),
            "text": [f"{'Same ' if k % 2 else 'same  '}text {k % 25} @x{k}" for k in rng.integers(0, 1000, n)],
            "urls": "",
            "hashtags": "",
            "repost_of": [f"p{k}" if k < 30 else "" for k in rng.integers(0, 60, n)],
        }
    )
    params = Params(kind=kind, window_s=window, min_weight=1 if window == 0 else 2)
    prep = prepare(frame, params)
    expected = pair_edges(prep, params)
    assert len(expected) > 20
    for chunk in (1, 50, networks.CHUNK_PAIRS):
        got = co_action_edges(prep, params, chunk_pairs=chunk)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_arrow_normalises_every_code_point_it_is_given_as_normalise_text_does():
    """Every code point _plain_unicode admits, alone and between letters, spaces and mentions: Arrow's lowering,
    mention and whitespace patterns give normalise_text's result, so the tables of Arrow's Unicode version and
    Python's agree there. A newer pyarrow or Python that changed one would fail here, not store other keys."""
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    admitted = networks._plain_unicode(pa.array(points, pa.large_string()))
    chars = [c for c, ok in zip(points, admitted, strict=True) if ok]
    assert len(chars) > 50_000 and "Ж" in chars and "ا" in chars and "🙂" in chars and "\u3000" in chars
    texts = [t for c in chars for t in (c, f"A{c}b", f"@x{c}y z", f"{c} {c}{c}", f"@{c}", f"x @{c}")]
    got = networks._normalise_lowered(pc.ascii_lower(pa.array(texts, pa.large_string())))
    expected = [normalise_text(t) for t in texts]
    wrong = [(t, g) for t, g, e in zip(texts, got.to_pylist(), expected, strict=True) if g != e]
    assert not wrong, wrong[:10]


def test_code_points_arrow_would_get_wrong_go_to_python():
    texts = ["İstanbul", "ΣΟΦΙΑ", "a\u2003b", "Ⴀ", "ꙀꙀ", "\U00010400", "plain", "Жёлтый", "🙂", ""]
    assert list(networks._plain_unicode(pa.array(texts))) == [False] * 6 + [True] * 4
    assert list(normalise_texts(pd.Series(texts))) == [normalise_text(t) for t in texts]
