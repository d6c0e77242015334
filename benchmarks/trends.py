"""Benchmark trend detection on 1,000,000 generated posts beside a bare pandas groupby count of the same pairs.

Prints: time to read the trend keys (tokenising text), time to count and score them (planner.trends.detect given
those keys), the time of `groupby([key, bucket]).size()` over the same (key, bucket) pairs in the same run, their
ratio (target at most 3x), the peak resident memory of the process (target at most 1.5 GB), how many of the 20
planted bursts were found, and the trends found on pure noise (600,000 posts, 1,000 tags posted uniformly at random,
about 3.6 per tag per hour; target: next to none).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner import trends  # noqa: E402

START = pd.Timestamp("2026-10-01T00:00Z")
DAYS = 30
TARGET_RATIO = 3.0
TARGET_PEAK_GB = 1.5
BURST_POSTS = 1_500
SYLLABLES = np.array(["ka", "lo", "mi", "ten", "ra", "vu", "sel", "do", "pri", "na", "gor", "e", "li", "sta", "um"])


def _vocabulary(rng: np.random.Generator, size: int) -> np.ndarray:
    parts = rng.integers(0, len(SYLLABLES), (size, 3))
    words = pd.Series(SYLLABLES[parts[:, 0]]) + SYLLABLES[parts[:, 1]] + SYLLABLES[parts[:, 2]]
    return (words + pd.Series(np.arange(size)).astype(str).str[-2:]).to_numpy(dtype=object)


def _zipf_choice(rng: np.random.Generator, n_items: int, size, a: float = 1.1) -> np.ndarray:
    weights = 1.0 / np.arange(1, n_items + 1) ** a
    return rng.choice(n_items, size=size, p=weights / weights.sum())


def generate(n: int, seed: int = 1) -> pd.DataFrame:
    """Return n fictional posts over 30 days: Zipf words, hashtags and links, 20 of 1,500 of them planted bursts."""
    rng = np.random.default_rng(seed)
    words = _vocabulary(rng, 20_000)
    n_words = 10
    idx = _zipf_choice(rng, len(words), (n, n_words))
    text = pd.Series(words[idx[:, 0]], dtype="str")
    for j in range(1, n_words):
        text = text + " " + words[idx[:, j]]
    tags = np.array([f"tag{i}" for i in range(5_000)], dtype=object)
    tag_idx = _zipf_choice(rng, len(tags), (n, 2))
    has = rng.random((n, 2)) < [0.5, 0.2]
    hashtags = pd.Series(np.where(has[:, 0], tags[tag_idx[:, 0]], ""), dtype="str")
    hashtags = hashtags + " " + np.where(has[:, 1], tags[tag_idx[:, 1]], "")
    domains = np.array([f"site{i}.example" for i in range(2_000)], dtype=object)
    dom_idx = _zipf_choice(rng, len(domains), n)
    urls = pd.Series("https://" + domains[dom_idx] + "/p/" + rng.integers(0, 50, n).astype(str), dtype="str")
    urls = urls.where(rng.random(n) < 0.3, "").to_numpy(dtype=object)
    seconds = rng.uniform(0, DAYS * 86400, n)
    authors = rng.integers(0, 50_000, n)
    # Planted bursts: the last 20 x 1,500 posts become 20 blitzes of a new hashtag with a slogan of its own,
    # each within 3 hours from 300 accounts.
    hashtags = hashtags.to_numpy(dtype=object)
    text = text.to_numpy(dtype=object)
    for b in range(20):
        rows = np.arange(n - (b + 1) * BURST_POSTS, n - b * BURST_POSTS)
        seconds[rows] = (2 + b) * 86400 * 0.6 + rng.uniform(0, 3 * 3600, len(rows))
        authors[rows] = 60_000 + b * 300 + rng.integers(0, 300, len(rows))
        hashtags[rows] = f"planted{b}"
        text[rows] = f"fictional slogan number {b} of the grey lantern order #planted{b}"
        urls[rows] = f"https://lantern-{b}.example/dispatch"
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "created_at": START + pd.to_timedelta(seconds, unit="s"),
            "author_id": pd.Series(authors).astype(str),
            "author_handle": "",
            "text": pd.Series(text, dtype="str"),
            "lang": "en",
            "hashtags": pd.Series(hashtags, dtype="str"),
            "urls": pd.Series(urls, dtype="str"),
            "likes": rng.poisson(3, n),
            "reposts": rng.poisson(1, n),
        }
    )
    return frame.sort_values("created_at", ignore_index=True)


def noise(n: int = 600_000, tags: int = 1_000, per_tag_hour: float = 3.6, seed: int = 2) -> pd.DataFrame:
    """Return n posts, each with one of `tags` hashtags picked uniformly, at uniformly random times."""
    rng = np.random.default_rng(seed)
    hours = n / (tags * per_tag_hour)
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "created_at": START + pd.to_timedelta(rng.uniform(0, hours * 3600, n), unit="s"),
            "author_id": rng.integers(0, 50_000, n).astype(str),
            "author_handle": "",
            "text": "",
            "lang": "en",
            "hashtags": pd.Series(rng.integers(0, tags, n)).map("tag{}".format),
            "urls": "",
            "likes": 0,
            "reposts": 0,
        }
    )
    return frame.sort_values("created_at", ignore_index=True)


def _rss() -> float:
    """Return the process's peak resident memory so far, in GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _ok(ratio: float) -> str:
    return "OK" if ratio <= TARGET_RATIO else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    parser.add_argument("--noise-posts", type=int, default=600_000)
    args = parser.parse_args()

    pure = noise(args.noise_posts)
    t0 = time.perf_counter()
    on_noise = trends.detect(pure, trends.DetectionParams(kinds=("hashtag",)))
    print(
        f"pure noise: {len(pure):,} posts, 1,000 tags at about 3.6 per tag per hour: {len(on_noise.trends)} trends "
        f"flagged among {on_noise.tested_cells:,} (key, hour) cells tested, in {time.perf_counter() - t0:.1f} s"
    )
    del pure, on_noise

    t0 = time.perf_counter()
    posts = generate(args.posts)
    print(f"generated {len(posts):,} posts in {time.perf_counter() - t0:.1f} s (max RSS so far {_rss():.2f} GB)")

    t0 = time.perf_counter()
    occ = trends.extract_keys(posts)
    extract_s = time.perf_counter() - t0
    distinct = int((occ.kinds != "").sum())
    print(f"read trend keys: {len(occ):,} (post, key) pairs, {distinct:,} distinct keys in {extract_s:.2f} s")
    print(f"max RSS after reading keys: {_rss():.2f} GB")

    params = trends.DetectionParams(kinds=trends.KEY_KINDS)
    detect_s = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = trends.detect(posts, params, occurrences=occ)
        detect_s.append(time.perf_counter() - t0)

    detect_peak = _rss()
    print(f"max RSS after reading keys and detecting (data included): {detect_peak:.2f} GB")

    # The peers: a bare pandas groupby count of the same (key, bucket) pairs, with the keys as text (what a
    # plain pandas script holds) and, stricter, as integer codes.
    bucket = ((posts["created_at"] - posts["created_at"].min().floor("1h")) // pd.Timedelta(hours=1)).to_numpy()
    labels = pa.array(pd.Series(occ.kinds, dtype="str") + ":" + pd.Series(occ.keys, dtype="str"), pa.large_string())
    text_pairs = pd.DataFrame(
        {"key": pd.Series(labels.take(pa.array(occ.key)), dtype="str"), "bucket": bucket[occ.post]}
    )
    code_pairs = pd.DataFrame({"key": occ.key, "bucket": bucket[occ.post]})
    peer_text_s, peer_code_s = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        peer = text_pairs.groupby(["key", "bucket"]).size()
        peer_text_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        code_pairs.groupby(["key", "bucket"]).size()
        peer_code_s.append(time.perf_counter() - t0)
    peer_s = peer_text_s

    planted = {f"#planted{b}" for b in range(20)}
    found = set(result.trends["key"]) | {k for also in result.trends["also"] for k in also}
    ratio = min(detect_s) / min(peer_s)
    print(f"detect (count + score + describe {len(result.trends):,} trends): best {min(detect_s):.2f} s")
    print(f"pandas groupby([key, bucket]).size(), text keys ({len(peer):,} cells): best {min(peer_text_s):.2f} s")
    print(f"pandas groupby([key, bucket]).size(), integer key codes: best {min(peer_code_s):.2f} s")
    print(f"ratio detect / groupby (text keys): {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x) {_ok(ratio)}")
    code_ratio = min(detect_s) / min(peer_code_s)
    print(
        f"ratio detect / groupby (integer codes): {code_ratio:.2f}x (target <= {TARGET_RATIO:.0f}x) {_ok(code_ratio)}"
    )
    print(
        f"with reading the keys (tokenising every text): {(extract_s + min(detect_s)) / min(peer_s):.2f}x the groupby"
    )
    print(f"planted bursts found: {len(planted & found)}/20")
    ok = "OK" if detect_peak <= TARGET_PEAK_GB else "MISS"
    print(f"peak memory of generating + detecting: {detect_peak:.2f} GB (target <= {TARGET_PEAK_GB} GB) {ok}")
    print(f"peak memory including the peers' frames: {_rss():.2f} GB")


if __name__ == "__main__":
    main()
