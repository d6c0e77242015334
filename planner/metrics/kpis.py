"""KPI definitions as data, their formulas on summed components, and attainment of a campaign's KPI targets."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

# Every component a snapshot stores, in display order: cumulative lifetime counts at the time of capture.
COMPONENTS = (
    "impressions",
    "reach",
    "likes",
    "replies",
    "reposts",
    "quotes",
    "shares",
    "link_clicks",
    "saves",
    "video_views",
    "completions_25",
    "completions_50",
    "completions_75",
    "completions_100",
    "follows_gained",
)
COMPONENT_LABELS = {
    "impressions": "Impressions",
    "reach": "Reach",
    "likes": "Likes",
    "replies": "Replies",
    "reposts": "Reposts",
    "quotes": "Quotes",
    "shares": "Shares",
    "link_clicks": "Link clicks",
    "saves": "Saves",
    "video_views": "Video views",
    "completions_25": "Watched 25 %",
    "completions_50": "Watched 50 %",
    "completions_75": "Watched 75 %",
    "completions_100": "Watched 100 %",
    "follows_gained": "Follows gained",
}
# What counts as an engagement (domain notes: likes + replies + shares/reposts + quotes + link clicks + saves).
ENGAGEMENT_COMPONENTS = ("likes", "replies", "reposts", "quotes", "shares", "link_clicks", "saves")


@dataclass(frozen=True)
class KPI:
    """A key performance indicator: what it is called, how it is computed, and how to read it."""

    key: str
    label: str
    formula: str
    definition: str
    unit: str  # "count", "rate" (a share from 0 to 1) or "minutes"
    higher_is_better: bool = True


KPIS: tuple[KPI, ...] = (
    KPI("posts", "Published posts", "published schedule entries", "Our posts published in the period.", "count"),
    KPI(
        "impressions",
        "Impressions",
        "sum of impressions over posts",
        "Every time a post was displayed; one person can see a post many times. Not people reached.",
        "count",
    ),
    KPI(
        "reach",
        "Reach (sum over posts)",
        "sum of each post's reach",
        "People reached, added up post by post: a person reached by two posts counts twice, so this is NOT the "
        "number of unique people reached. Post exports do not tell how many people saw several posts.",
        "count",
    ),
    KPI(
        "reach_lower_bound",
        "Unique people reached, at least",
        "the largest single post's reach",
        "The honest floor of unique reach: at least as many people as the best-reaching post reached. The true "
        "number lies between this and the sum over posts.",
        "count",
    ),
    KPI(
        "engagements",
        "Engagements",
        "likes + replies + reposts + quotes + shares + link clicks + saves",
        "Actions taken on our posts, each component counted where the platform reports it.",
        "count",
    ),
    KPI(
        "engagement_rate_impressions",
        "Engagement rate by impressions",
        "engagements / impressions",
        "Share of displays that led to an action (as X, Sprout and Buffer report it). Only posts that report "
        "impressions count.",
        "rate",
    ),
    KPI(
        "engagement_rate_reach",
        "Engagement rate by reach",
        "engagements / reach",
        "Actions per person reached (as Later and older Facebook reports do). Higher than the rate by impressions "
        "because reach counts each person once per post. Only posts that report reach count.",
        "rate",
    ),
    KPI(
        "ctr",
        "Click-through rate",
        "link clicks / impressions",
        "Share of displays that led to a click on our link. Only posts that report link clicks count.",
        "rate",
    ),
    KPI(
        "video_completion_rate",
        "Video completion rate",
        "views watched to 100 % / video views",
        "Share of video views that reached the end. Only posts that report completions count.",
        "rate",
    ),
    KPI("follows_gained", "Follows gained", "sum of new follows", "New followers the posts brought.", "count"),
    KPI(
        "share_of_voice",
        "Share of voice",
        "our posts / (our posts + the trend's monitored posts), same window",
        "Our posts answering a trend or narrative against all posts on it over the window the trend was "
        "monitored. By post count: monitored posts rarely report their reach.",
        "rate",
    ),
    KPI(
        "time_to_response_minutes",
        "Time to response",
        "first counter-post published - trend detected",
        "How fast we answered: minutes from the trend's detection to our first published post on it (for a "
        "campaign, the median over its answered trends).",
        "minutes",
        higher_is_better=False,
    ),
)
KPI_BY_KEY = {k.key: k for k in KPIS}


def _sum(totals: Mapping[str, float | None], key: str) -> float:
    value = totals.get(key)
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """Return numerator / denominator, or None when the denominator is missing or zero (no figure, not 0 %)."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    if isinstance(denominator, float) and math.isnan(denominator):
        return None
    return float(numerator) / float(denominator)


def engagements(values: Mapping[str, float | None]) -> int:
    """Return the engagements of one snapshot or of summed components (missing components count as 0)."""
    return int(sum(_sum(values, c) for c in ENGAGEMENT_COMPONENTS))


def rates(totals: Mapping[str, float | None]) -> dict[str, float | None]:
    """Return the rate KPIs from components summed over posts.

    Each rate divides sums over the posts that report its denominator: `totals` may hold them as
    `engagements_with_impressions`, `engagements_with_reach`, `link_clicks_with_impressions`,
    `impressions_with_link_clicks` and `video_views_with_completions`; without them the plain sums are used.
    """
    eng = totals.get("engagements")
    eng = engagements(totals) if eng is None else eng
    impressions = totals.get("impressions")
    return {
        "engagement_rate_impressions": ratio(totals.get("engagements_with_impressions", eng), impressions),
        "engagement_rate_reach": ratio(totals.get("engagements_with_reach", eng), totals.get("reach")),
        "ctr": ratio(
            totals.get("link_clicks_with_impressions", totals.get("link_clicks")),
            totals.get("impressions_with_link_clicks", impressions),
        ),
        "video_completion_rate": ratio(
            totals.get("completions_100"), totals.get("video_views_with_completions", totals.get("video_views"))
        ),
    }


def format_value(key: str, value: float | None) -> str:
    """Return a KPI value for display: counts with thousands separators, rates in %, minutes as h and min."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    unit = KPI_BY_KEY[key].unit if key in KPI_BY_KEY else "count"
    if unit == "rate":
        return f"{value * 100:.2f} %"
    if unit == "minutes":
        hours, minutes = divmod(int(round(value)), 60)
        return f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"{value:,.0f}"


# How a campaign's free-text KPI target names map to a KPI we measure: first matching pattern wins.
_TARGET_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"share of voice|\bsov\b", "share_of_voice"),
    (r"time to (first )?respon|response time", "time_to_response_minutes"),
    (r"engagement rate.*reach|reach.*engagement rate", "engagement_rate_reach"),
    (r"engagement rate", "engagement_rate_impressions"),
    (r"click[- ]?through|\bctr\b", "ctr"),
    (r"link clicks?|\bclicks\b", "link_clicks"),
    (r"complet", "video_completion_rate"),
    (r"follow|subscriber", "follows_gained"),
    (r"impression", "impressions"),
    (r"unique.*reach|people reached|\breach\b", "reach"),
    (r"engagement", "engagements"),
    (r"video views", "video_views"),
    (r"\blikes?\b", "likes"),
    (r"repl(y|ies)", "replies"),
    (r"reposts?|retweets?|\bshares\b", "reposts"),
    (r"\bsaves?\b", "saves"),
)
_AUDIENCE_RE = re.compile(r"\b(from|among|in) the\b|audience|aged|\d+\s*-\s*\d+", re.IGNORECASE)


def kpi_for_target(metric: str) -> str | None:
    """Return the KPI (or component) key a target's metric name measures, or None when we do not measure it."""
    text = (metric or "").lower()
    for pattern, key in _TARGET_PATTERNS:
        if re.search(pattern, text):
            return key
    return None


@dataclass
class Attainment:
    """One KPI target of a campaign with what was measured against it."""

    metric: str
    target: float
    unit: str
    kpi: str | None
    actual: float | None
    attainment: float | None  # 1.0 = target met exactly
    note: str = ""

    def as_dict(self) -> dict:
        return {
            "metric": self.metric,
            "target": self.target,
            "unit": self.unit,
            "kpi": self.kpi,
            "actual": self.actual,
            "attainment": self.attainment,
            "note": self.note,
        }


def _is_rate(key: str) -> bool:
    return key in KPI_BY_KEY and KPI_BY_KEY[key].unit == "rate"


def target_value(key: str, target: float, unit: str) -> float:
    """Return a target in the KPI's own unit: rates given in % (or above 1) become shares from 0 to 1."""
    if _is_rate(key) and (unit.strip() in {"%", "percent", "per cent"} or target > 1):
        return target / 100
    if key == "time_to_response_minutes" and unit.strip().lower() in {"h", "hour", "hours"}:
        return target * 60
    return target


def attainment(targets: list[dict], measured: Mapping[str, float | None]) -> list[Attainment]:
    """Return each KPI target ({"metric", "target", "unit"}) with the measured value and how much of it was met.

    Attainment is actual / target (target / actual where lower is better, as for time to response); None when
    the KPI is not measured here or has no value yet.
    """
    out = []
    for t in targets:
        metric, target, unit = str(t.get("metric", "")), float(t.get("target") or 0), str(t.get("unit") or "")
        key = kpi_for_target(metric)
        if key is None:
            out.append(
                Attainment(
                    metric,
                    target,
                    unit,
                    None,
                    None,
                    None,
                    "not measured by Counterpoint: record it from your own survey, sign-up or download figures",
                )
            )
            continue
        goal = target_value(key, target, unit)
        actual = measured.get(key)
        note = ""
        if _AUDIENCE_RE.search(metric) and key not in ("share_of_voice", "time_to_response_minutes"):
            note = "counts everyone: post exports do not say whether the people were the target audience"
        if actual is None:
            out.append(Attainment(metric, goal, unit, key, None, None, note or "no figures yet"))
            continue
        lower_better = key in KPI_BY_KEY and not KPI_BY_KEY[key].higher_is_better
        if lower_better:
            share = ratio(goal, actual) if actual else (1.0 if goal >= 0 else None)
        else:
            share = ratio(actual, goal)
        out.append(Attainment(metric, goal, unit, key, float(actual), share, note))
    return out
