import importlib.util
import itertools
import json
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.bursts import P1_CAP, BurstInputError, intervals, kleinberg_states, total_cost
from planner.errors import PlannerError

FIXTURE = Path(__file__).parent / "fixtures" / "burst_package_cases.json"
BENCH = Path(__file__).parent.parent / "benchmarks" / "bursts.py"


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def package_fit(d: int, r: int, p: float) -> float:
    """The package's fit cost written out with math (0 * log 0 taken as 0)."""
    log_binom = math.lgamma(d + 1) - math.lgamma(r + 1) - math.lgamma(d - r + 1)
    return -(log_binom + (r * math.log(p) if r else 0.0) + ((d - r) * math.log(1 - p) if d - r else 0.0))


def brute_force(r: np.ndarray, d: np.ndarray, s: float, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Return every state sequence (2^T, T) and its cost for one key r (T,)."""
    seqs = np.array(list(itertools.product([False, True], repeat=len(d))), dtype=bool)
    return seqs, total_cost(seqs, np.repeat(r[None, :], len(seqs), axis=0), d, s, gamma)


@st.composite
def series(draw):
    t = draw(st.integers(1, 9))
    d = np.array(draw(st.lists(st.integers(0, 40), min_size=t, max_size=t)))
    k = draw(st.integers(1, 4))
    r = np.array([[draw(st.integers(0, int(dt))) for dt in d] for _ in range(k)], dtype=np.int64).reshape(k, t)
    s = draw(st.floats(1.05, 5.0))
    gamma = draw(st.floats(0.0, 3.0))
    return r, d, s, gamma


@settings(max_examples=300, deadline=None)
@given(series())
def test_states_are_the_brute_force_optimum(case):
    r, d, s, gamma = case
    states = kleinberg_states(r, d, s, gamma)
    ours = total_cost(states, r, d, s, gamma)
    for k in range(r.shape[0]):
        seqs, costs = brute_force(r[k], d, s, gamma)
        order = np.argsort(costs, kind="stable")
        best = costs[order[0]]
        assert close(ours[k], best)
        if len(costs) > 1 and costs[order[1]] > best + 1e-7 * max(1.0, abs(best)):
            assert states[k].tolist() == seqs[order[0]].tolist()


def test_total_cost_is_the_package_formula():
    r = np.array([[1, 2, 30, 40, 2, 0]])
    d = np.array([100, 90, 110, 100, 95, 0])
    p0 = r.sum() / d.sum()
    p = {False: p0, True: 2 * p0}
    states = np.array([[False, True, True, False, True, True]])
    expected = sum(package_fit(int(dt), int(rt), p[bool(q)]) for rt, dt, q in zip(r[0], d, states[0], strict=True))
    expected += 2 * 1.5 * math.log(6)  # two moves up
    assert close(total_cost(states, r, d, 2.0, 1.5)[0], expected)


def test_burst_proportion_is_capped_below_one_like_the_package():
    r = np.array([[60, 70, 95, 99]])
    d = np.array([100, 100, 100, 100])
    p0 = r.sum() / d.sum()
    states = np.array([[False, False, True, True]])
    expected = sum(package_fit(100, int(rt), p0) for rt in (60, 70)) + sum(
        package_fit(100, x, P1_CAP) for x in (95, 99)
    )
    assert close(total_cost(states, r, d)[0], expected + math.log(4))
    seqs, costs = brute_force(r[0], d, 2.0, 1.0)
    assert kleinberg_states(r, d).tolist() == [seqs[np.argmin(costs)].tolist()] == [[False, False, False, True]]


def load_fixture():
    return json.loads(FIXTURE.read_text())["batches"]


def test_matches_the_package_fixture():
    """Never costlier than burst_detection 0.1.3; identical where its greedy choice is optimal."""
    outcomes = {"identical": 0, "cheaper": 0, "package_error": 0}
    for batch in load_fixture():
        r, d, s, gamma = np.array(batch["r"]), np.array(batch["d"]), batch["s"], batch["gamma"]
        states = kleinberg_states(r, d, s, gamma)
        ours = total_cost(states, r, d, s, gamma)
        for k, package in enumerate(batch["package"]):
            if "error" in package:
                outcomes["package_error"] += 1
                continue
            theirs = np.array([package["states"]], dtype=bool)
            # Our cost function gives the package's own cost for the package's own states.
            assert close(total_cost(theirs, r[k : k + 1], d, s, gamma)[0], package["cost"])
            if close(ours[k], package["cost"]):
                assert states[k].tolist() == theirs[0].tolist()
                outcomes["identical"] += 1
            else:
                assert ours[k] < package["cost"]
                outcomes["cheaper"] += 1
    # The fixture must exercise both outcomes and the package's failures.
    assert outcomes["identical"] > 100 and outcomes["cheaper"] > 5 and outcomes["package_error"] > 0


def test_fixture_is_what_the_package_says_today():
    """Re-run the real burst_detection 0.1.3 on the fixture's series when its peer venv is there."""
    spec = importlib.util.spec_from_file_location("bench_bursts", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    if bench.peer_python(create=False) is None:
        pytest.skip(f"no burst_detection peer venv at {bench.peer_venv()} (python benchmarks/bursts.py creates it)")
    batches = load_fixture()
    fresh = bench.run_package(batches, create=False)
    for batch, again in zip(batches, fresh, strict=True):
        for before, now in zip(batch["package"], again["keys"], strict=True):
            assert before.keys() == now.keys()
            if "states" in before:
                assert now["states"] == before["states"] and close(now["cost"], before["cost"])


def test_greedy_misses_a_long_mild_burst():
    # Each raised bucket alone does not pay the cost of moving up; together they do.
    d = np.full(48, 200)
    r = np.full(48, 10)
    r[20:30] = 18
    states = kleinberg_states(r[None, :], d)[0]
    assert states[20:30].all() and not states[:20].any() and not states[30:].any()


def test_planted_burst_found_and_quiet_keys_not():
    rng = np.random.default_rng(1)
    d = rng.poisson(2000, 168)
    quiet = rng.binomial(d, 0.02, size=(50, 168))
    loud = rng.binomial(d, 0.02)
    loud[100:106] = rng.binomial(d[100:106], 0.12)
    states = kleinberg_states(np.vstack([quiet, loud]), d)
    assert not states[:50].any()
    assert np.flatnonzero(states[50]).tolist() == list(range(100, 106))


def test_batch_equals_key_by_key():
    rng = np.random.default_rng(3)
    d = rng.poisson(500, 60)
    r = rng.binomial(d, rng.uniform(0.01, 0.3, (20, 1)))
    r[:, 30:35] = np.minimum(d[30:35], r[:, 30:35] * 3)
    batch = kleinberg_states(r, d, 2.5, 0.7)
    for k in range(20):
        assert batch[k].tolist() == kleinberg_states(r[k : k + 1], d, 2.5, 0.7)[0].tolist()


def test_empty_buckets_and_silent_keys():
    d = np.array([50, 50, 0, 50, 0, 0, 50, 50])
    r = np.array([[1, 30, 0, 30, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0], [50, 50, 0, 50, 0, 0, 50, 50]])
    states = kleinberg_states(r, d)
    # An empty bucket inside a burst costs nothing to stay in; dropping out and back in would cost gamma ln n.
    assert states[0].tolist() == [False, True, True, True, False, False, False, False]
    assert not states[1].any() and not states[2].any()  # a silent key, and a key that is every post
    assert total_cost(states[1:], r[1:], d).tolist() == [0.0, 0.0]
    assert not kleinberg_states(np.zeros((2, 3), int), np.zeros(3, int)).any()


def test_single_bucket_and_no_buckets():
    # With n = 1 moving up is free (gamma ln 1 = 0), so the fit alone decides: the base proportion fits best.
    assert kleinberg_states(np.array([[3], [0]]), np.array([10])).tolist() == [[False], [False]]
    assert kleinberg_states(np.zeros((3, 0), int), np.zeros(0, int)).shape == (3, 0)
    assert total_cost(np.zeros((2, 0), bool), np.zeros((2, 0), int), np.zeros(0, int)).tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("r", "d", "kwargs", "message"),
    [
        ([[1, 5, 2]], [3, 4, 3], {}, "key 0 has 5 posts in bucket 1, more than all posts there (4)"),
        ([[1, -1, 2]], [3, 4, 3], {}, "r has a negative count at index [0, 1]"),
        ([[1, 1, 2]], [3, -4, 3], {}, "d has a negative count"),
        ([[1.5, 1, 2]], [3, 4, 3], {}, "r must hold whole counts"),
        ([1, 1, 2], [3, 4, 3], {}, "r must be (keys, buckets)"),
        ([[1, 1]], [3, 4, 3], {}, "r must be (keys, buckets)"),
        ([[1, 1, 2]], [3, 4, 3], {"s": 1.0}, "s must be a number above 1"),
        ([[1, 1, 2]], [3, 4, 3], {"gamma": -1.0}, "gamma must be a number of at least 0"),
        ([[1, 1, 2]], [3, 4, 3], {"gamma": float("nan")}, "gamma must be"),
    ],
)
def test_bad_input_is_refused_with_a_named_error(r, d, kwargs, message):
    with pytest.raises(BurstInputError, match=None) as info:
        kleinberg_states(np.array(r), np.array(d), **kwargs)
    assert message in str(info.value)
    assert isinstance(info.value, PlannerError)


def test_whole_float_counts_are_accepted():
    r = np.array([[1.0, 9.0, 1.0]])
    assert (
        kleinberg_states(r, np.array([10.0, 10.0, 10.0])).tolist()
        == kleinberg_states(r.astype(int), np.array([10, 10, 10])).tolist()
    )


def test_total_cost_refuses_mismatched_states():
    with pytest.raises(BurstInputError, match="states must have the shape of r"):
        total_cost(np.zeros((1, 2), bool), np.zeros((1, 3), int), np.ones(3, int))


def test_intervals_cover_whole_buckets_in_utc():
    starts = pd.date_range("2026-03-01 00:00", periods=8, freq="1h", tz="Europe/Paris")
    row = np.array([True, False, False, True, True, False, True, True])
    got = intervals(row, starts, pd.Timedelta("1h"))
    assert got == [
        (datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 3, 1, 0, tzinfo=UTC)),
        (datetime(2026, 3, 1, 2, tzinfo=UTC), datetime(2026, 3, 1, 4, tzinfo=UTC)),
        (datetime(2026, 3, 1, 5, tzinfo=UTC), datetime(2026, 3, 1, 7, tzinfo=UTC)),
    ]
    assert all(a.utcoffset().total_seconds() == 0 for pair in got for a in pair)
    assert intervals(np.zeros(8, bool), starts, pd.Timedelta("1h")) == []


def test_intervals_refuse_naive_or_mismatched_buckets():
    naive = pd.date_range("2026-03-01", periods=3, freq="1h")
    with pytest.raises(BurstInputError, match="timezone-aware"):
        intervals(np.ones(3, bool), naive, pd.Timedelta("1h"))
    with pytest.raises(BurstInputError, match="do not match"):
        intervals(np.ones(2, bool), naive.tz_localize("UTC"), pd.Timedelta("1h"))


def test_total_cost_is_the_same_past_the_log_factorial_table(monkeypatch):
    rng = np.random.default_rng(11)
    d = rng.integers(0, 300, 24)
    r = rng.binomial(d, 0.1, size=(3, 24))
    states = kleinberg_states(r, d)
    expected = total_cost(states, r, d)
    monkeypatch.setattr("planner.bursts._TABLE_LIMIT", 10)
    assert np.allclose(total_cost(states, r, d), expected, rtol=1e-12)
