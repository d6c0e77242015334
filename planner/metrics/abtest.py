"""A/B tests: compare two variants' engagements per impression with a two-proportion z-test, in plain words."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from planner.errors import PlannerError

# The normal approximation behind the z-test needs this many engagements and non-engagements in each group.
MIN_SUCCESSES = 10
CONFIDENCE = 0.95
POWER = 0.80


@dataclass(frozen=True)
class Arm:
    """One variant: its label, engagements and impressions."""

    label: str
    engagements: int
    impressions: int

    @property
    def rate(self) -> float:
        return self.engagements / self.impressions if self.impressions else math.nan


@dataclass
class ABResult:
    """The outcome of comparing arm B with arm A."""

    a: Arm
    b: Arm
    difference: float  # rate(B) - rate(A)
    z: float
    p_value: float
    ci_low: float  # 95 % interval of rate(B) - rate(A)
    ci_high: float
    significant: bool
    warnings: list[str] = field(default_factory=list)
    verdict: str = ""

    def as_dict(self) -> dict:
        return {
            "a": self.a.label,
            "b": self.b.label,
            "rate_a": self.a.rate,
            "rate_b": self.b.rate,
            "engagements_a": self.a.engagements,
            "impressions_a": self.a.impressions,
            "engagements_b": self.b.engagements,
            "impressions_b": self.b.impressions,
            "difference": self.difference,
            "z": self.z,
            "p_value": self.p_value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "significant": self.significant,
            "warnings": list(self.warnings),
            "verdict": self.verdict,
        }


class ABTestError(PlannerError):
    """The counts cannot be compared (negative, or more engagements than impressions)."""


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def sample_needed(rate_a: float, rate_b: float, confidence: float = CONFIDENCE, power: float = POWER) -> int | None:
    """Return impressions per variant needed to detect rate_a vs rate_b (two-sided), or None when they are equal."""
    from scipy.stats import norm

    if rate_a == rate_b or math.isnan(rate_a) or math.isnan(rate_b):
        return None
    z_a, z_b = norm.ppf(1 - (1 - confidence) / 2), norm.ppf(power)
    variance = rate_a * (1 - rate_a) + rate_b * (1 - rate_b)
    return math.ceil((z_a + z_b) ** 2 * variance / (rate_a - rate_b) ** 2)


def compare(a: Arm, b: Arm, confidence: float = CONFIDENCE) -> ABResult:
    """Return the two-proportion z-test (pooled) of B vs A with a Wald interval of the difference.

    Raises ABTestError for negative counts or more engagements than impressions.
    """
    from scipy.stats import norm

    for arm in (a, b):
        if arm.engagements < 0 or arm.impressions < 0:
            raise ABTestError(f"variant {arm.label}: counts must not be negative")
        if arm.engagements > arm.impressions:
            raise ABTestError(
                f"variant {arm.label}: {arm.engagements:,} engagements but only {arm.impressions:,} impressions"
            )
    warnings: list[str] = []
    if not a.impressions or not b.impressions:
        empty = a if not a.impressions else b
        result = ABResult(a, b, math.nan, math.nan, math.nan, math.nan, math.nan, False)
        result.warnings = [f"Variant {empty.label} has no impressions yet: nothing to compare."]
        result.verdict = f"No verdict: variant {empty.label} has no impressions yet."
        return result
    p_a, p_b = a.rate, b.rate
    diff = p_b - p_a
    pooled = (a.engagements + b.engagements) / (a.impressions + b.impressions)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / a.impressions + 1 / b.impressions))
    if se_pooled == 0:
        z, p = 0.0, 1.0
    else:
        z = diff / se_pooled
        p = float(2 * norm.sf(abs(z)))
    se = math.sqrt(p_a * (1 - p_a) / a.impressions + p_b * (1 - p_b) / b.impressions)
    crit = float(norm.ppf(1 - (1 - confidence) / 2))
    low, high = diff - crit * se, diff + crit * se
    for arm in (a, b):
        failures = arm.impressions - arm.engagements
        if arm.engagements < MIN_SUCCESSES or failures < MIN_SUCCESSES:
            warnings.append(
                f"Variant {arm.label} has only {min(arm.engagements, failures):,} "
                f"{'engagements' if arm.engagements < MIN_SUCCESSES else 'impressions without engagement'}: "
                f"the test needs at least {MIN_SUCCESSES} of each per variant to be trusted."
            )
    significant = p < 1 - confidence
    needed = sample_needed(p_a, p_b, confidence)
    if not significant and needed and needed > min(a.impressions, b.impressions):
        warnings.append(
            f"Too few impressions to tell a difference this small: about {needed:,} per variant would detect it "
            f"{POWER * 100:.0f} % of the time."
        )
    result = ABResult(a, b, diff, z, p, low, high, significant, warnings)
    result.verdict = verdict(result, confidence)
    return result


def verdict(result: ABResult, confidence: float = CONFIDENCE) -> str:
    """Return the comparison in plain words, e.g. "B's engagement rate is higher, 1.9 % vs 1.2 %, p = 0.01"."""
    a, b = result.a, result.b
    low, high = result.ci_low * 100, result.ci_high * 100
    interval = f"{confidence * 100:.0f} % interval of the difference {low:+.2f} to {high:+.2f} points"
    if result.significant:
        winner, loser = (b, a) if result.difference > 0 else (a, b)
        return (
            f"{winner.label}'s engagement rate is higher, {_pct(winner.rate)} vs {_pct(loser.rate)}, "
            f"{_p(result.p_value)} ({interval})."
        )
    return (
        f"No clear difference yet: {b.label} {_pct(b.rate)} vs {a.label} {_pct(a.rate)}, {_p(result.p_value)} "
        f"({interval}): the gap could be chance."
    )
