"""KPI formulas against hand-computed values, zero denominators, target names and attainment."""

from __future__ import annotations

import pytest

from planner.metrics import kpis


def test_engagements_add_every_reported_component():
    values = {"likes": 10, "replies": 2, "reposts": 3, "quotes": 1, "shares": 4, "link_clicks": 5, "saves": 6}
    assert kpis.engagements(values | {"impressions": 1000, "video_views": 50, "follows_gained": 9}) == 31
    assert kpis.engagements({"likes": 4, "replies": None}) == 4


def test_rates_hand_computed():
    totals = {
        "impressions": 8000,
        "reach": 5000,
        "engagements": 240,
        "engagements_with_reach": 200,
        "link_clicks": 80,
        "video_views": 400,
        "completions_100": 100,
    }
    r = kpis.rates(totals)
    assert r["engagement_rate_impressions"] == pytest.approx(0.03)
    assert r["engagement_rate_reach"] == pytest.approx(0.04)
    assert r["ctr"] == pytest.approx(0.01)
    assert r["video_completion_rate"] == pytest.approx(0.25)


@pytest.mark.parametrize("zero", [0, None, float("nan")])
def test_zero_or_missing_denominators_give_no_figure(zero):
    r = kpis.rates({"impressions": zero, "reach": zero, "likes": 5, "video_views": zero, "completions_100": 0})
    assert r == {
        "engagement_rate_impressions": None,
        "engagement_rate_reach": None,
        "ctr": None,
        "video_completion_rate": None,
    }
    assert kpis.format_value("ctr", None) == "n/a"


def test_every_kpi_has_a_definition_and_both_engagement_rates_are_labelled():
    assert all(k.definition and k.formula for k in kpis.KPIS)
    labels = {k.key: k.label for k in kpis.KPIS}
    assert labels["engagement_rate_impressions"] == "Engagement rate by impressions"
    assert labels["engagement_rate_reach"] == "Engagement rate by reach"
    assert "NOT" in kpis.KPI_BY_KEY["reach"].definition


def test_format_value():
    assert kpis.format_value("impressions", 12345) == "12,345"
    assert kpis.format_value("ctr", 0.0123) == "1.23 %"
    assert kpis.format_value("time_to_response_minutes", 135) == "2 h 15 min"
    assert kpis.format_value("time_to_response_minutes", 42) == "42 min"


@pytest.mark.parametrize(
    ("metric", "key"),
    [
        ("link clicks from the 18-25 audience", "link_clicks"),
        ("share of voice on #GreyLanternRises conversations", "share_of_voice"),
        ("Engagement rate by reach", "engagement_rate_reach"),
        ("engagement rate per post", "engagement_rate_impressions"),
        ("CTR", "ctr"),
        ("time to respond to a new trend", "time_to_response_minutes"),
        ("new followers", "follows_gained"),
        ("guide downloads", None),
        ("mentoring evening sign-ups from Valleyton", None),
    ],
)
def test_target_names_map_to_kpis(metric, key):
    assert kpis.kpi_for_target(metric) == key


def test_attainment():
    targets = [
        {"metric": "link clicks from the 18-25 audience", "target": 2000, "unit": "clicks"},
        {"metric": "share of voice on #GreyLanternRises", "target": 30, "unit": "%"},
        {"metric": "time to response", "target": 2, "unit": "hours"},
        {"metric": "guide downloads", "target": 800, "unit": "downloads"},
        {"metric": "engagement rate", "target": 2, "unit": "%"},
    ]
    measured = {
        "link_clicks": 1500,
        "share_of_voice": 0.15,
        "time_to_response_minutes": 60,
        "engagement_rate_impressions": None,
    }
    clicks, sov, ttr, downloads, rate = kpis.attainment(targets, measured)
    assert clicks.attainment == pytest.approx(0.75) and "target audience" in clicks.note
    assert sov.target == pytest.approx(0.30) and sov.attainment == pytest.approx(0.5)
    assert ttr.target == 120 and ttr.attainment == pytest.approx(2.0)  # twice as fast as the target
    assert downloads.kpi is None and downloads.attainment is None and "not measured" in downloads.note
    assert rate.kpi == "engagement_rate_impressions" and rate.actual is None and rate.note == "no figures yet"
