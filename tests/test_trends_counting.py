"""Counting: the bucket grid up to the clock, dense counts of keys that can trend, accounts per cell."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.trends import counting, keys

START = pd.Timestamp("2026-11-01T00:00Z")


def _posts(hours, tags, authors=None):
    n = len(hours)
    return pd.DataFrame(
        {
            "created_at": START + pd.to_timedelta(np.asarray(hours, dtype=float) * 3600, unit="s"),
            "hashtags": tags,
            "text": "",
            "lang": "en",
            "urls": "",
            "author_id": authors if authors is not None else [str(i) for i in range(n)],
        }
    )


def test_grid_ends_at_the_clock_with_a_partial_last_bucket():
    posts = _posts([0.1, 1.5, 2.2, 2.9, 5.0], "a")
    grid = counting.make_grid(posts["created_at"], pd.Timedelta(hours=1), START + pd.Timedelta(hours=2, minutes=30))
    assert grid.n_buckets == 3 and grid.totals.tolist() == [1, 1, 1]  # 2:54 and 5:00 are after the clock
    assert grid.starts[-1] == START + pd.Timedelta(hours=2)
    scored = counting.make_grid(
        posts["created_at"], pd.Timedelta(hours=1), START + pd.Timedelta(hours=6), START + pd.Timedelta(hours=2)
    )
    assert scored.first_scored == 2


def test_counts_only_keys_that_can_reach_min_count_but_tests_every_cell():
    hours = [0.5] * 12 + [3.5] * 3 + [1.5, 2.5]
    tags = ["big"] * 12 + ["small"] * 3 + ["big", "big"]
    posts = _posts(hours, tags)
    grid = counting.make_grid(posts["created_at"], pd.Timedelta(hours=1), START + pd.Timedelta(hours=4))
    occ = keys.extract_keys(posts, ("hashtag",))
    counted = counting.count_keys(occ, grid, min_count=10)
    assert [occ.keys[k] for k in counted.keys] == ["#big"]
    assert counted.counts.tolist() == [[12, 1, 1, 0]]
    assert counted.tested_cells == 3 + 3  # #big's three cells, and #small's three posts as an upper bound


def test_cell_authors_counts_distinct_accounts():
    posts = _posts([0.5] * 6 + [1.5] * 2, "t", authors=["a", "a", "b", "c", "c", "d", "a", "e"])
    grid = counting.make_grid(posts["created_at"], pd.Timedelta(hours=1), START + pd.Timedelta(hours=2))
    occ = keys.extract_keys(posts, ("hashtag",))
    counted = counting.count_keys(occ, grid, min_count=1)
    codes = pd.factorize(posts["author_id"])[0].astype(np.int64)
    got = counting.cell_authors(occ, grid, counted.keys, codes, (np.array([0, 0]), np.array([0, 1])))
    assert got.tolist() == [4, 2]


def test_counts_in_small_slices_by_threads_equal_one_pass(monkeypatch):
    rng = np.random.default_rng(5)
    n = 3_000
    hours = np.sort(rng.uniform(0, 48, n))
    tags = [" ".join(f"t{k}" for k in rng.zipf(1.6, 3) if k < 40) for _ in range(n)]
    posts = _posts(hours, tags, authors=[f"a{k}" for k in rng.integers(0, 50, n)])
    grid = counting.make_grid(posts["created_at"], pd.Timedelta(hours=1), START + pd.Timedelta(hours=47), START)
    occ = keys.extract_keys(posts, ("hashtag",))
    whole = counting.count_keys(occ, grid, min_count=5)
    rows = counting.row_of(whole.keys, len(occ.keys))
    one = [np.concatenate(parts) for parts in zip(*counting.slices(occ, rows, grid), strict=True)]
    monkeypatch.setattr(counting, "OCCURRENCE_SLICE", 97)  # 30-odd slices, cut by threads ahead of the pass
    monkeypatch.setattr(counting, "BLOCK_CELLS", 5 * grid.n_buckets)  # five keys per dense block
    sliced = counting.count_keys(occ, grid, min_count=5)
    assert sliced.keys.tolist() == whole.keys.tolist() and len(whole.keys) > 10
    assert np.array_equal(sliced.counts, whole.counts) and sliced.tested_cells == whole.tested_cells
    cut = [np.concatenate(parts) for parts in zip(*counting.slices(occ, rows, grid), strict=True)]
    assert all(np.array_equal(a, b) for a, b in zip(cut, one, strict=True))  # the same pairs, in order
    # And the counts are right: posts per (tag, hour), each tag once per post, before the clock.
    pairs = pd.DataFrame({"tag": [t.split() for t in tags], "hour": hours.astype(int)}).explode("tag").dropna()
    want = pairs.reset_index().drop_duplicates().query("hour < 47").groupby(["tag", "hour"]).size()
    for row, key in enumerate(whole.keys):
        series = want.loc[occ.keys[key][1:]].reindex(range(grid.n_buckets), fill_value=0)
        assert whole.counts[row].tolist() == series.tolist()


def test_coarse_counts_saturate_instead_of_wrapping():
    # 600 posts in one hour: a uint8 coarse count would wrap to 88 (600 % 256) and drop the key at min_count 100.
    hours = [0.5] * 600 + [5.5] * 20
    posts = _posts(hours, ["big"] * 600 + ["small"] * 20)
    grid = counting.make_grid(posts["created_at"], pd.Timedelta(hours=1), START + pd.Timedelta(hours=6))
    occ = keys.extract_keys(posts, ("hashtag",))
    for min_count, want in ((100, ["#big"]), (300, ["#big"]), (601, [])):  # uint8, uint16 coarse counts, none
        counted = counting.count_keys(occ, grid, min_count=min_count)
        assert [occ.keys[k] for k in counted.keys] == want
        assert counted.counts.tolist() == ([[600, 0, 0, 0, 0, 0]] if want else [])
