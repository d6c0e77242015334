"""Scoring: the Gamma-Poisson expected count, its tail probability, Benjamini-Hochberg and the rank score."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.trends import scoring
from planner.trends.params import DetectionParams

PARAMS = DetectionParams()


def test_first_bucket_expects_the_keys_rate_elsewhere():
    steady = np.full(48, 200)
    new = np.zeros(48, dtype=int)
    new[0], new[1:] = 300, 1
    exp = scoring.expected_counts(np.vstack([steady, new]), PARAMS)
    assert exp.mean[0, 0] == pytest.approx(200, rel=0.01)  # a steady key: its own rate, even before any history
    assert exp.mean[1, 0] == pytest.approx(25 / 24)  # a new key bursting in bucket 0: its quiet rest of the window
    # Later on, 24 buckets of history (24 posts) and the rest of the window (the burst and 23 posts in 23 buckets)
    # are worth the buckets they hold, plus one post: (322 / 23 * 23 + 24 + 1) / (23 + 24).
    assert exp.mean[1, 30] == pytest.approx((322 + 24 + 1) / 47)


def test_min_rate_floors_a_key_never_seen_elsewhere():
    only = np.zeros(10, dtype=int)
    only[0] = 50
    exp = scoring.expected_counts(only, PARAMS)
    assert exp.mean[0, 0] == pytest.approx(PARAMS.min_rate + 1 / 9)  # nine other buckets


def test_log_pvalues_match_poisson_when_the_rate_is_known():
    from scipy.stats import poisson

    shape, rate = np.array([5.0 * 1e6]), np.array([1e6])  # Gamma so sharp it is a known rate of 5
    got = scoring.log_pvalues(np.array([12]), shape, rate)
    assert got[0] == pytest.approx(poisson.logsf(11, 5), rel=1e-3)
    assert scoring.log_pvalues(np.array([0]), shape, rate)[0] == 0.0  # P(X >= 0) = 1


def test_benjamini_hochberg_step_up():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205])
    keep = scoring.benjamini_hochberg(np.log(p), tested=8, fdr=0.05)
    assert keep.tolist() == [True, True, False, False, False, False, False, False]
    # More cells tested (the ones not given count as p = 1): fewer discoveries.
    assert scoring.benjamini_hochberg(np.log(p), tested=40, fdr=0.05).tolist() == [True] + [False] * 7
    assert not scoring.benjamini_hochberg(np.array([]), 10, 0.05).any()


def test_rank_score_adds_one_point_per_factor_of_ten():
    got = scoring.rank_score(np.array([99, 999]), np.array([10, 10]), np.array([10, 10]))
    assert got[1] - got[0] == pytest.approx(1.0, abs=0.01) and got[0] == pytest.approx(4.0)


def test_steady_high_volume_key_is_never_flagged():
    rng = np.random.default_rng(3)
    for rate in (50, 1_000, 20_000):
        hourly = rate * (1 + 0.5 * np.sin(np.arange(24 * 7) * 2 * np.pi / 24))  # a daily rhythm, all week
        counts = rng.poisson(hourly)[None, :]
        rows, *_ = scoring.significant_cells(counts, 0, counts.size, PARAMS)
        assert len(rows) == 0, rate


def test_new_key_bursting_in_the_first_bucket_is_flagged_there():
    counts = np.zeros((1, 72), dtype=np.int64)
    counts[0, 0], counts[0, 1:] = 300, np.random.default_rng(0).poisson(1, 71)
    rows, cols, expected, log_p = scoring.significant_cells(counts, 0, 10_000, PARAMS)
    assert cols.tolist() == [0] and expected[0] < 2 and scoring.surprise(log_p)[0] > 100


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    rates=st.lists(st.floats(min_value=0.05, max_value=200.0), min_size=5, max_size=40),
    buckets=st.integers(min_value=2, max_value=96),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_noise_gives_fewer_false_trends_than_the_error_rate(rates, buckets, seed):
    """Under Poisson noise the expected number of false trends (keys with a discovery) stays under the FDR."""
    fdr = 0.05
    loose = DetectionParams(min_count=1, min_ratio=0.0, fdr=fdr)  # the count model alone, without the guards
    rng = np.random.default_rng(seed)
    lam = np.asarray(rates)[:, None]
    replicates, false_trends = 50, 0
    for _ in range(replicates):
        counts = rng.poisson(lam, (len(rates), buckets))
        rows, *_ = scoring.significant_cells(counts, 0, int(np.count_nonzero(counts)), loose)
        false_trends += len(np.unique(rows))
    # Mean over replicates (BH bounds P(any discovery) by the FDR under pure noise), with 3 standard errors of slack.
    assert false_trends / replicates <= fdr + 3 * np.sqrt(fdr / replicates)
