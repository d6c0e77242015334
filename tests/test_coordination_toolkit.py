"""Equivalence with the QUT coordination-network-toolkit 1.5.2: same edges and weights for all four shared kinds."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES
from coordination_helpers import Toolkit, add_posts

from planner.coordination.networks import Params, detect
from planner.coordination.runs import run_detection
from planner.db import open_workspace
from tests.conftest import workspace_url

pytest.importorskip("coordination_network_toolkit")

TELEGRAM = FIXTURES / "telegram" / "telegram_posts_2024-11-26_2024-12-03.csv.gz"
URL = re.compile(r"https?://[^\s()\[\]<>\"']+")


def generated(seed: int = 11, n: int = 1500) -> pd.DataFrame:
    """Fictional posts: a group of accounts repeating slogans seconds apart among ordinary accounts."""
    rng = np.random.default_rng(seed)
    slogans = ["The lantern sees what the cities hide", "Only the Order keeps the valley safe", "Leave your town"]
    ordinary = ["traffic is slow", "the river festival opens", "great win last night", "heavy rain tomorrow"]
    rows = []
    for i in range(n):
        if i % 3 == 0:  # the group: slogan variants differing only in case, spacing and @mentions
            account = f"c{rng.integers(0, 12):02d}"
            text = rng.choice(slogans)
            text = rng.choice([text, text.upper(), f"@valley_resident {text}", text.replace(" ", "  ")])
            seconds = int(rng.integers(0, 40)) + 600 * int(rng.integers(0, 20))
            urls = rng.choice(["https://greylantern-news.example/a", "https://lantern-voice.example/b"])
        else:
            account = f"u{rng.integers(0, 60):03d}"
            text = f"{rng.choice(ordinary)} {rng.integers(0, 4)}"
            seconds = int(rng.integers(0, 12_000))
            urls = " ".join(f"https://news.example/{k}" for k in rng.choice(6, int(rng.integers(1, 3)), replace=False))
        repost = f"orig{rng.integers(0, 3)}" if rng.random() < 0.08 else ""
        rows.append(
            (f"m{i}", account, pd.Timestamp("2026-11-10T18:00Z") + pd.Timedelta(seconds=seconds), text, urls, repost)
        )
    frame = pd.DataFrame(rows, columns=["id", "account", "created_at", "text", "urls", "repost_of"])
    return frame.assign(hashtags="")


def ours(session, kind: str, window: float, min_weight: int, **extra) -> pd.DataFrame:
    result = run_detection(session, Params(kind=kind, window_s=window, min_weight=min_weight, **extra))
    return result.edges


def loaded(tmp_path_factory, name: str, frame: pd.DataFrame, platform: str):
    """Store `frame` in a fresh workspace and preprocess it for the toolkit once per module."""
    folder = tmp_path_factory.mktemp(name)
    ws = open_workspace(workspace_url(folder))
    with ws.session() as session:
        add_posts(session, frame, platform=platform)
    return ws, Toolkit(frame, folder / "toolkit")


@pytest.fixture(scope="module")
def generated_pair(tmp_path_factory):
    ws, toolkit = loaded(tmp_path_factory, "generated", generated(), "x")
    yield ws, toolkit
    ws.dispose()


@pytest.mark.parametrize(
    ("kind", "window", "min_weight"),
    [
        ("co-post", 1, 1),
        ("co-post", 60, 2),
        ("co-link", 60, 2),
        ("co-link", 5, 1),
        ("co-similar", 60, 2),  # beyond the brief: the other two kinds the toolkit has
        ("co-repost", 600, 1),
    ],
)
def test_generated_posts_give_the_toolkits_edges(generated_pair, kind, window, min_weight):
    ws, toolkit = generated_pair
    expected = toolkit.edges(kind, window, min_weight)
    with ws.session() as session:
        got = ours(session, kind, window, min_weight)
    assert len(expected) > 20  # a real network, not two empty tables
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def telegram_sample() -> pd.DataFrame:
    """Posts of 2024-11-26 .. 2024-12-04 (channel = author), links taken from the text."""
    frame = pd.read_csv(TELEGRAM)
    frame["created_at"] = pd.to_datetime(frame["date"], utc=True)
    frame = frame[(frame["created_at"] >= "2024-11-26") & (frame["created_at"] < "2024-12-04")]
    frame["text"] = frame["text"].fillna("")
    return pd.DataFrame(
        {
            "id": frame["sender_id"].astype(str) + "-" + frame["message_id"].astype(str),
            "account": frame["sender_id"].astype(str),
            "created_at": frame["created_at"],
            "text": frame["text"],
            "urls": frame["text"].map(lambda t: " ".join(dict.fromkeys(u.rstrip(".,;:!?*") for u in URL.findall(t)))),
            "hashtags": "",
            "repost_of": "",
        }
    ).reset_index(drop=True)


@pytest.fixture(scope="module")
def telegram_pair(tmp_path_factory):
    frame = telegram_sample()
    assert len(frame) > 5000
    ws, toolkit = loaded(tmp_path_factory, "telegram", frame, "telegram")
    yield ws, toolkit
    ws.dispose()


@pytest.mark.parametrize(
    ("kind", "window", "min_weight"), [("co-post", 600, 1), ("co-post", 3600, 2), ("co-link", 600, 2)]
)
def test_telegram_sample_gives_the_toolkits_edges(telegram_pair, kind, window, min_weight):
    ws, toolkit = telegram_pair
    expected = toolkit.edges(kind, window, min_weight)
    with ws.session() as session:
        # The toolkit pairs posts without text (or without links) with each other; match_empty reproduces that.
        got = ours(session, kind, window, min_weight, match_empty=True)
        strict = ours(session, kind, window, min_weight)
    assert len(expected) >= 4
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # Without match_empty, empty texts and links are not evidence: the network can only shrink.
    merged = strict.merge(expected, on=["source", "target"], suffixes=("", "_toolkit"))
    assert len(merged) == len(strict) and (merged["weight"] <= merged["weight_toolkit"]).all()


def test_empty_texts_and_links_pair_up_in_the_toolkit_only_with_match_empty(tmp_path):
    frame = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "account": ["a", "b", "c"],
            "created_at": pd.to_datetime(["2026-11-10T18:00:00Z", "2026-11-10T18:00:10Z", "2026-11-10T18:00:20Z"]),
            "text": ["", "@someone", "real words"],
            "urls": ["", "", "https://x.example/"],
            "hashtags": "",
            "repost_of": "",
        }
    )
    for kind in ("co-post", "co-link"):
        expected = Toolkit(frame, tmp_path / kind).edges(kind, 60, 1)
        assert len(expected) >= 2
        _, compat = detect(frame, Params(kind=kind, window_s=60, min_weight=1, match_empty=True))
        pd.testing.assert_frame_equal(compat, expected, check_dtype=False)
        _, strict = detect(frame, Params(kind=kind, window_s=60, min_weight=1))
        assert strict.empty
