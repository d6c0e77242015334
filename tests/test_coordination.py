"""Co-action networks: weights, direction, window edges, reposts, normalisation, chunked sweep, a brute-force oracle."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.coordination.networks import (
    CoordinationError,
    Params,
    co_action_edges,
    detect,
    normalise_text,
    prepare,
    window_pairs,
    word_set,
)

T0 = pd.Timestamp("2026-11-10T18:00:00Z")


def posts(*rows) -> pd.DataFrame:
    """Rows of (account, seconds after T0, text, urls, hashtags, repost_of)."""
    full = [tuple(r) + ("",) * (6 - len(r)) for r in rows]
    frame = pd.DataFrame(full, columns=["account", "s", "text", "urls", "hashtags", "repost_of"])
    frame["created_at"] = T0 + pd.to_timedelta(frame["s"], unit="s")
    return frame


def edge_list(frame: pd.DataFrame, **params) -> list[tuple[str, str, int]]:
    _, edges = detect(frame, Params(**params))
    return list(edges.itertuples(index=False, name=None))


def test_weights_are_directed_and_count_source_posts():
    frame = posts(("a", 0, "Same text"), ("a", 5, "Same text"), ("b", 30, "Same text"))
    assert edge_list(frame, min_weight=1) == [("a", "b", 2), ("b", "a", 1)]
    assert edge_list(frame, min_weight=2) == [("a", "b", 2)]


@pytest.mark.parametrize(("gap", "paired"), [(60, True), (60.000001, False), (61, False), (0, True)])
def test_window_includes_both_ends(gap, paired):
    frame = posts(("a", 0, "x"), ("b", gap, "x"))
    assert bool(edge_list(frame, min_weight=1, window_s=60)) is paired


def test_an_account_is_never_paired_with_itself():
    frame = posts(("a", 0, "x"), ("a", 1, "x"), ("a", 2, "x"))
    assert edge_list(frame, min_weight=1) == []


def test_reposts_only_count_for_co_repost():
    frame = posts(("a", 0, "RT same", "", "", "p1"), ("b", 1, "RT same", "", "", "p1"), ("c", 2, "RT same"))
    assert edge_list(frame, min_weight=1) == []
    assert edge_list(frame, kind="co-repost", min_weight=1) == [("a", "b", 1), ("b", "a", 1)]


def test_text_is_normalised_like_the_toolkit():
    assert normalise_text("Hello @Bob   WORLD!\n#Tag me@x.org") == "hello world! #tag me"
    frame = posts(("a", 0, "Join us @x  NOW"), ("b", 3, "join us now @y"))
    assert edge_list(frame, min_weight=1) == [("a", "b", 1), ("b", "a", 1)]


def test_empty_texts_and_links_are_not_shared_objects_unless_asked():
    frame = posts(("a", 0, "@only_a_mention"), ("b", 1, ""), ("c", 2, "words"))
    assert edge_list(frame, min_weight=1) == []
    assert edge_list(frame, min_weight=1, match_empty=True) == [("a", "b", 1), ("b", "a", 1)]
    assert edge_list(frame, kind="co-link", min_weight=1) == []
    assert len(edge_list(frame, kind="co-link", min_weight=1, match_empty=True)) == 6


def test_co_link_counts_a_post_once_however_many_links_match():
    frame = posts(
        ("a", 0, "t1", "https://x.example/1 https://x.example/2"),
        ("b", 9, "t2", "https://x.example/2 https://x.example/1"),
    )
    assert edge_list(frame, kind="co-link", min_weight=1) == [("a", "b", 1), ("b", "a", 1)]


def test_co_hashtag():
    frame = posts(
        ("a", 0, "t", "", "lanterncalls valleyton"),
        ("b", 20, "u", "", "lanterncalls"),
        ("c", 90, "v", "", "lanterncalls"),
    )
    assert edge_list(frame, kind="co-hashtag", min_weight=1) == [("a", "b", 1), ("b", "a", 1)]


def test_co_similar_threshold_is_inclusive_and_mentions_are_ignored():
    assert word_set("The lantern, @bob sees!") == {"the", "lantern", ",", "sees", "!"}
    # 4 shared words of 6 distinct: Jaccard exactly 2/3.
    frame = posts(("a", 0, "one two three four five"), ("b", 10, "one two three four six @zed"))
    assert edge_list(frame, kind="co-similar", similarity=2 / 3, min_weight=1) == [("a", "b", 1), ("b", "a", 1)]
    assert edge_list(frame, kind="co-similar", similarity=0.67, min_weight=1) == []


def test_one_text_posted_by_many_accounts_is_swept_in_bounded_chunks():
    n = 400
    frame = posts(*((f"acc{i:03d}", i % 50, "the lantern sees") for i in range(n)), ("solo", 5000, "the lantern sees"))
    params = Params(min_weight=1)
    prep = prepare(frame, params)
    sizes = [len(i) for i, _ in window_pairs(prep, params.window_us, chunk_pairs=1000)]
    assert max(sizes) <= 1000 and sum(sizes) == n * (n - 1)
    small = co_action_edges(prep, params, chunk_pairs=1000)
    assert small.equals(co_action_edges(prep, params))
    assert len(small) == n * (n - 1) and set(small["weight"]) == {1}


def test_bad_parameters_name_the_field():
    with pytest.raises(CoordinationError, match="type"):
        Params(kind="co-dance").check()
    with pytest.raises(CoordinationError, match="window"):
        Params(window_s=-1).check()
    with pytest.raises(CoordinationError, match="similarity"):
        Params(kind="co-similar", similarity=0).check()
    with pytest.raises(CoordinationError, match="min weight"):
        Params(min_weight=0).check()


def brute_force(frame: pd.DataFrame, kind: str, window: float, min_weight: int) -> list[tuple[str, str, int]]:
    """The toolkit's definition, pair by pair."""
    rows = frame.to_dict("records")
    key = {
        "co-post": lambda r: {normalise_text(r["text"])} - {""},
        "co-link": lambda r: set(r["urls"].split()),
        "co-repost": lambda r: {r["repost_of"]} - {""},
    }[kind]
    use = [r for r in rows if (r["repost_of"] != "") == (kind == "co-repost")]
    weights: dict[tuple[str, str], int] = {}
    for r in use:
        partners = {
            s["account"]
            for s in use
            if s["account"] != r["account"]
            and key(r) & key(s)
            and abs((s["created_at"] - r["created_at"]).total_seconds()) <= window
        }
        for p in partners:
            weights[(r["account"], p)] = weights.get((r["account"], p), 0) + 1
    return sorted((a, b, w) for (a, b), w in weights.items() if w >= min_weight)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("abcde"),
            st.integers(0, 200),
            st.sampled_from(["x", "X @m", "y", "", "z z"]),
            st.sampled_from(["", "u1", "u1 u2", "u3"]),
            st.sampled_from(["", "", "", "p1", "p2"]),
        ),
        max_size=30,
    ),
    st.sampled_from(["co-post", "co-link", "co-repost"]),
    st.sampled_from([0, 10, 60]),
    st.integers(1, 3),
)
def test_matches_a_brute_force_oracle(rows, kind, window, min_weight):
    frame = posts(*((a, s, t, u, "", r) for a, s, t, u, r in rows))
    expected = brute_force(frame, kind, window, min_weight)
    got = edge_list(frame, kind=kind, window_s=window, min_weight=min_weight)
    assert got == expected


def test_random_data_chunk_sizes_do_not_change_results():
    rng = np.random.default_rng(3)
    frame = posts(
        *(
            (f"u{a}", int(s), f"text {t}", f"https://l.example/{t % 4}")
            for a, s, t in zip(
                rng.integers(0, 30, 800), rng.integers(0, 900, 800), rng.integers(0, 12, 800), strict=True
            )
        )
    )
    for kind, chunk in product(["co-post", "co-link", "co-similar"], [3, 100]):
        params = Params(kind=kind, window_s=30, min_weight=2)
        prep = prepare(frame, params)
        assert co_action_edges(prep, params, chunk_pairs=chunk).equals(co_action_edges(prep, params)), kind
