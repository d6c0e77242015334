"""Folding: keys that burst in the same posts become one trend headed by the best key; others stay apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from planner import trends
from planner.trends import folding

START = pd.Timestamp("2026-11-01T00:00Z")


def _members(rows: list[list[int]], n_posts: int = 100) -> sp.csr_matrix:
    t = [i for i, posts in enumerate(rows) for _ in posts]
    p = [x for posts in rows for x in posts]
    return sp.csr_matrix((np.ones(len(p)), (t, p)), shape=(len(rows), n_posts))


def test_jaccard_of_post_sets():
    sim = folding.jaccard(_members([[1, 2, 3, 4], [3, 4, 5, 6], [50]])).toarray()
    assert sim[0, 1] == 2 / 6 and sim[0, 0] == 1.0 and sim[0, 2] == 0.0


def test_fold_heads_by_kind_then_score_without_chaining():
    kinds = np.array(["term", "hashtag", "domain", "term", "term"])
    keys = np.array(["order keeps", "#lantern", "lantern.example", "keeps", "weather"])
    scores = np.array([9.0, 5.0, 7.0, 8.0, 6.0])
    slogan = list(range(0, 40))
    members = _members([slogan, slogan[:36], slogan[2:], slogan[1:], list(range(60, 90))])
    head = folding.fold(kinds, keys, scores, members, threshold=0.5)
    assert head.tolist() == [1, 1, 1, 1, 4]  # the hashtag heads the slogan's keys; the weather stays apart
    # A generic key overlapping two separate stories by half does not glue them together.
    generic = _members([list(range(0, 20)), list(range(0, 40)), list(range(20, 40))])
    head = folding.fold(np.array(["hashtag", "term", "hashtag"]), np.array(["#a", "x", "#b"]), np.ones(3), generic, 0.5)
    assert head.tolist() == [0, 0, 2]


def test_narratives_fold_under_keys_and_small_keys_under_big_ones():
    members = _members([[1, 2, 3], [1, 2, 3]])
    head = folding.fold(np.array(["narrative", "hashtag"]), np.array(["story", "#a"]), np.ones(2), members, 0.5)
    assert head.tolist() == [1, 1]  # a narrative bursting in the same posts is listed under the hashtag
    # A word in a fifth of a slogan's posts, where most of the word's posts are the slogan's: contained, folded.
    windows = _members([list(range(50)), list(range(0, 50, 5)) + [60, 61]])
    head = folding.fold(np.array(["hashtag", "term"]), np.array(["#a", "today"]), np.array([9.0, 1.0]), windows, 0.5)
    assert head.tolist() == [0, 0] and folding.jaccard(windows)[0, 1] < 0.5
    assert folding.containment(windows, windows)[0, 1] == 10 / 12


def _posts(parts):
    frames = []
    for hour, n, text, tag, prefix in parts:
        frames.append(
            pd.DataFrame(
                {
                    "created_at": START + pd.Timedelta(hours=hour) + pd.to_timedelta(np.arange(n) * 7, unit="s"),
                    "author_id": [f"{prefix}{i}" for i in range(n)],
                    "text": text,
                    "hashtags": tag,
                }
            )
        )
    background = pd.DataFrame(
        {
            "created_at": START + pd.to_timedelta(np.arange(48 * 20) * 180, unit="s"),
            "author_id": [f"u{i % 300}" for i in range(48 * 20)],
            "text": "bus late again",
            "hashtags": "",
        }
    )
    frame = pd.concat([*frames, background], ignore_index=True).sort_values("created_at", ignore_index=True)
    return frame.assign(id=np.arange(1, len(frame) + 1), author_handle="", lang="en", urls="", likes=0, reposts=0)


def test_detect_folds_a_slogan_into_its_hashtag_and_keeps_another_burst_apart():
    posts = _posts(
        [
            (20, 150, "only the order keeps the valley safe #OrderKeeps", "orderkeeps", "a"),
            (20, 120, "river festival fireworks tonight", "", "b"),
        ]
    )
    found = trends.detect(posts, trends.DetectionParams(kinds=("hashtag", "term"))).trends
    by_key = found.set_index("key")
    assert set(by_key.loc["#orderkeeps", "also"]) >= {"order keeps", "valley safe", "keeps"}
    festival = [k for k in found["key"] if "festival" in k or "fireworks" in k]
    assert len(festival) == 1  # the other burst is one trend of its own, not folded into the hashtag
    assert set(by_key.loc[festival[0], "also"]) & {"river", "fireworks tonight", "river festival"}
    assert not set(by_key.loc["#orderkeeps", "also"]) & {"river", "festival", "fireworks"}
