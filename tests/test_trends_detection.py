"""Detection: planted bursts found (also in the first bucket), steady and noisy keys not, pure noise gives nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner import trends
from tests.trend_helpers import START, synthetic_posts


@pytest.fixture(scope="module")
def detection():
    return trends.detect(synthetic_posts())


def _row(result, key):
    hit = result.trends[result.trends["key"] == key]
    assert len(hit) == 1, f"{key} not found once in {result.trends['key'].tolist()}"
    return hit.iloc[0]


def _tag_posts(hours: np.ndarray, tags, authors=None) -> pd.DataFrame:
    n = len(hours)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "created_at": START + pd.to_timedelta(np.asarray(hours) * 3600, unit="s"),
            "author_id": authors if authors is not None else rng.integers(0, 5000, n).astype(str),
            "author_handle": "",
            "text": "",
            "lang": "en",
            "hashtags": tags,
            "urls": "",
            "likes": 0,
            "reposts": 0,
        }
    ).sort_values("created_at", ignore_index=True)


def test_planted_bursts_found_quiet_keys_not(detection):
    keys = set(detection.trends["key"])
    assert {"#blitz", "#rising"} <= keys
    assert not keys & {"#quiet", "#daily", "#noisy", "bus", "market"}
    blitz = _row(detection, "#blitz")
    assert "greylantern-news.example" in blitz["also"]  # its link burst in the same posts: one story
    assert blitz["detected_at"] == START + pd.Timedelta(days=3, hours=18)
    assert START + pd.Timedelta(days=3, hours=18) <= blitz["peak_at"] < START + pd.Timedelta(days=3, hours=21)
    assert blitz["total_volume"] == 300 and 60 <= blitz["unique_authors"] <= blitz["peak_volume"]
    assert blitz["excess"] == pytest.approx(blitz["peak_volume"] - blitz["baseline"]) and blitz["baseline"] < 2
    assert blitz["lifecycle"] == "dormant"
    assert blitz["bursts"] == [["2026-11-04T18:00:00+00:00", "2026-11-04T21:00:00+00:00"]]
    assert blitz["explanation"].startswith(f"{blitz['peak_volume']} posts in the hour from Wed 4 Nov 2026, ")
    assert f"from {blitz['unique_authors']} accounts; dormant as of Sat 7 Nov 2026, 00:00 UTC" in blitz["explanation"]
    rising = _row(detection, "#rising")
    assert rising["lifecycle"] == "emerging" and rising["growth"] > 0.25
    assert rising["peak_at"] == START + pd.Timedelta(days=5, hours=23)
    assert detection.clock.kind == "newest post" and rising["as_of"] == START + pd.Timedelta(days=6)
    assert detection.trends["score"].is_monotonic_decreasing


def test_one_noisy_account_is_not_a_trend_but_many_are():
    posts = synthetic_posts()
    lax = trends.detect(posts, trends.DetectionParams(min_authors=1, kinds=("hashtag",)))
    assert "#noisy" in set(lax.trends["key"])
    strict = trends.detect(posts, trends.DetectionParams(kinds=("hashtag",)))
    assert "#noisy" not in set(strict.trends["key"])


def test_empty_and_quiet_input():
    assert trends.detect(synthetic_posts().iloc[:0]).trends.empty
    quiet = synthetic_posts()
    quiet = quiet[quiet["hashtags"].isin(["quiet", "daily", ""]) & ~quiet["text"].str.contains("lantern")]
    assert trends.detect(quiet).trends.empty


def test_burst_in_the_first_bucket_of_the_data_is_found():
    rng = np.random.default_rng(1)
    steady = rng.uniform(0, 72, 72 * 400)  # a steady tag, 400 posts an hour all along: never a trend
    new = np.concatenate([rng.uniform(0, 1, 300), rng.uniform(1, 72, 40)])  # 300 posts in the first hour
    posts = _tag_posts(np.concatenate([steady, new]), ["steady"] * len(steady) + ["newtag"] * len(new))
    found = trends.detect(posts, trends.DetectionParams(kinds=("hashtag",))).trends
    assert found["key"].tolist() == ["#newtag"]
    assert found["detected_at"].iloc[0] == START and found["peak_volume"].iloc[0] >= 300


def test_busy_key_must_multiply_its_expected_count():
    hours = np.repeat(np.arange(72), 100) + np.tile(np.arange(100) / 100, 72)
    hours = np.concatenate([hours, np.full(50, 60.5)])  # hour 60: 150 posts instead of 100 (z = 5)
    posts = _tag_posts(hours, "busy", authors=(np.arange(len(hours)) % 200).astype(str))
    assert trends.detect(posts, trends.DetectionParams(kinds=("hashtag",))).trends.empty
    lax = trends.detect(posts, trends.DetectionParams(kinds=("hashtag",), min_ratio=1.0))
    assert lax.trends["detected_at"].tolist() == [START + pd.Timedelta(hours=60)]


def test_pure_noise_gives_no_trends():
    """1,000 tags posted uniformly at random, about 3.6 per tag per hour (the 600k-post version is a benchmark)."""
    rng = np.random.default_rng(5)
    hours, n_tags = 48, 1000
    n = int(n_tags * 3.6 * hours)
    posts = _tag_posts(rng.uniform(0, hours, n), pd.Series(rng.integers(0, n_tags, n)).map("tag{}".format))
    result = trends.detect(posts, trends.DetectionParams(kinds=("hashtag",)))
    assert result.trends.empty and result.tested_cells > 40_000


def test_posts_after_a_chosen_clock_are_left_out():
    clock = trends.Clock(START + pd.Timedelta(days=3, hours=20), "chosen time")
    found = trends.detect(synthetic_posts(), trends.DetectionParams(kinds=("hashtag",)), clock=clock).trends
    assert found["key"].tolist() == ["#blitz"]  # #rising starts on day 6, after the clock
    assert found["as_of"].iloc[0] == clock.as_of and found["lifecycle"].iloc[0] in {"emerging", "peaking"}
