"""A/B test: the two-proportion z-test against scipy's chi-square test on the same numbers, the interval, words."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2_contingency, norm

from planner.metrics.abtest import ABTestError, Arm, compare, sample_needed

CASES = [(120, 10000, 190, 10000), (12, 1000, 13, 1000), (45, 3000, 30, 3100), (500, 20000, 560, 20500)]


@pytest.mark.parametrize(("ea", "na", "eb", "nb"), CASES)
def test_p_value_matches_scipy_chi_square(ea, na, eb, nb):
    result = compare(Arm("A", ea, na), Arm("B", eb, nb))
    table = np.array([[ea, na - ea], [eb, nb - eb]])
    chi2, p, _dof, _expected = chi2_contingency(table, correction=False)
    # Without continuity correction the 2x2 chi-square test is the pooled z-test squared.
    assert result.z**2 == pytest.approx(chi2, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-9)


def test_interval_is_the_wald_interval_of_the_difference():
    result = compare(Arm("A", 120, 10000), Arm("B", 190, 10000))
    se = math.sqrt(0.012 * 0.988 / 10000 + 0.019 * 0.981 / 10000)
    z = norm.ppf(0.975)
    assert result.difference == pytest.approx(0.007)
    assert (result.ci_low, result.ci_high) == (pytest.approx(0.007 - z * se), pytest.approx(0.007 + z * se))
    assert result.significant and result.warnings == []


def test_plain_words_name_the_winner():
    result = compare(Arm("A", 120, 10000), Arm("B", 190, 10000))
    assert result.verdict.startswith("B's engagement rate is higher, 1.9 % vs 1.2 %, p < 0.001")
    flipped = compare(Arm("A", 190, 10000), Arm("B", 120, 10000))
    assert flipped.verdict.startswith("A's engagement rate is higher, 1.9 % vs 1.2 %")
    p01 = compare(Arm("A", 120, 10000), Arm("B", 159, 10000))
    assert p01.verdict.startswith("B's engagement rate is higher, 1.6 % vs 1.2 %, p = 0.02 (95 % interval")


def test_small_samples_warn_and_do_not_declare_a_winner():
    result = compare(Arm("A", 3, 200), Arm("B", 7, 210))
    assert not result.significant and result.verdict.startswith("No clear difference yet: B 3.3 % vs A 1.5 %")
    assert any("at least 10" in w for w in result.warnings)
    assert any("per variant would detect it" in w for w in result.warnings)


def test_zero_impressions_and_zero_engagements():
    empty = compare(Arm("A", 0, 0), Arm("B", 5, 100))
    assert math.isnan(empty.p_value) and "no impressions yet" in empty.verdict
    none = compare(Arm("A", 0, 100), Arm("B", 0, 100))
    assert none.p_value == 1.0 and not none.significant


def test_bad_counts_are_refused():
    with pytest.raises(ABTestError, match="120 engagements but only 100 impressions"):
        compare(Arm("A", 120, 100), Arm("B", 1, 100))


def test_sample_needed_grows_as_the_gap_shrinks():
    assert sample_needed(0.012, 0.019) < sample_needed(0.012, 0.014)
    assert sample_needed(0.01, 0.01) is None
