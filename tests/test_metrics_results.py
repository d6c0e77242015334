"""Results aggregated in SQL: totals and KPIs against hand-computed values, reach over time, per-post table, A/B."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from planner import auth
from planner.metrics import abtest, besttime, results, snapshots, voice
from planner.models import Draft, DraftTrend, ScheduleEntry, Trend
from tests.metrics_helpers import T0, build

DAY = timedelta(days=1)


def record(session, entry_id, at, **values):
    snapshots.record_snapshot(session, auth.CLI_ACTOR, entry_id, at, values)


@pytest.fixture
def world(session):
    ids = build(session)
    record(session, ids["launch"], T0 + DAY, impressions=1000, likes=30, replies=5, reposts=10, link_clicks=15)
    record(session, ids["launch"], T0 + 2 * DAY, impressions=2000, likes=50, replies=10, reposts=20, link_clicks=20)
    record(
        session,
        ids["guide"],
        T0 + 3 * DAY,
        impressions=5000,
        reach=3000,
        likes=100,
        replies=20,
        reposts=30,
        link_clicks=50,
    )
    trend = Trend(
        kind="hashtag",
        key="#lanterncalls",
        label="#LanternCalls",
        detected_at=T0 - timedelta(hours=1),
        peak_at=T0,
        last_seen_at=T0 + DAY,
        series_start=T0 - DAY,
        bucket_seconds=86400,
        series=json.dumps([10, 20, 30, 40]),
    )
    session.add(trend)
    session.flush()
    session.get(ScheduleEntry, ids["launch"]).trend_id = trend.id
    football = session.get(ScheduleEntry, ids["football"])
    session.add(DraftTrend(draft_id=football.draft_id, trend_id=trend.id))
    session.commit()
    ids["trend"] = trend.id
    return ids


def test_totals_and_rates_match_hand_computed_values(session, world):
    s = results.summary(session, "Valley Together")
    v = s.values
    assert (v["posts"], v["posts_measured"], v["impressions"], v["reach"]) == (5, 2, 7000, 3000)
    assert v["engagements"] == 300 and v["reach_lower_bound"] == 3000
    assert v["engagement_rate_impressions"] == pytest.approx(300 / 7000)
    # By reach: only the post that reports reach counts, on both sides of the fraction.
    assert v["engagement_rate_reach"] == pytest.approx(200 / 3000)
    assert v["ctr"] == pytest.approx(70 / 7000)
    assert v["video_completion_rate"] is None  # no completions reported: no figure, not 0 %
    assert "3 of 5 published posts have no metrics yet" in s.notes[0]


def test_share_of_voice_and_time_to_response(session, world):
    table = voice.by_trend(session, results.Scope(world["campaign"]))
    row = table.iloc[0]
    assert (row["our_posts"], row["monitored_posts"]) == (2, 100)
    assert row["share_of_voice"] == pytest.approx(2 / 102)
    assert row["time_to_response_minutes"] == 60
    v = results.summary(session, world["campaign"]).values
    assert v["share_of_voice"] == pytest.approx(2 / 102) and v["time_to_response_minutes"] == 60


def test_volume_over_time_counts_ours_and_theirs_per_day(session, world):
    frame = voice.volume_over_time(session, results.Scope(world["campaign"])).set_index("day")
    assert frame.loc["2026-11-03", "our_posts"] == 1 and frame.loc["2026-11-03", "monitored_posts"] == 20
    assert frame.loc["2026-11-04", "our_posts"] == 3 and frame["monitored_posts"].sum() == 100


def test_reach_over_time_is_cumulative_per_day(session, world):
    frame = results.reach_over_time(session, results.Scope(world["campaign"]))
    assert frame["day"].dt.strftime("%m-%d").tolist() == ["11-04", "11-05", "11-06"]
    assert frame["impressions"].tolist() == [1000, 2000, 7000]
    assert frame["reach"].tolist() == [0, 0, 3000]
    assert frame["engagements"].tolist() == [60, 100, 300]


def test_posts_table_sorts_in_sql_and_pages(session, world):
    frame, total = results.posts_table(session, results.Scope(world["campaign"]), sort="engagements")
    assert total == 5 and frame["draft"].tolist()[:2] == ["Parents' guide", "Launch post"]
    assert frame["engagements"].tolist()[:2] == [200, 100] and frame["engagements"].iloc[2:].isna().all()
    page, _ = results.posts_table(session, results.Scope(world["campaign"]), sort="engagements", limit=1, offset=1)
    assert page["draft"].tolist() == ["Launch post"]
    with pytest.raises(results.ResultsError, match="is not one of"):
        results.posts_table(session, results.Scope(), sort="text; drop table")


def test_period_scope(session, world):
    scope = results.Scope(world["campaign"], since=T0 + DAY, until=T0 + 5 * DAY)
    assert results.totals(session, scope)["impressions"] == 5000


def test_ab_test_per_channel(session, world):
    record(session, world["football"], T0 + 3 * DAY, impressions=10000, likes=120)
    launch = session.get(ScheduleEntry, world["launch"])
    session.get(Draft, launch.draft_id).ab_label = "b"
    session.commit()
    ((channel, result),) = results.ab_tests(session, results.Scope(world["campaign"]))
    assert channel == "x @valley_x"
    expected = abtest.compare(abtest.Arm("A", 120, 10000), abtest.Arm("B", 100, 2000))
    assert result.p_value == pytest.approx(expected.p_value) and result.b.rate == pytest.approx(0.05)
    assert result.verdict.startswith("B's engagement rate is higher, 5.0 % vs 1.2 %")


def test_best_times_shrinks_towards_the_channel_average(session, world):
    record(session, world["football"], T0 + 3 * DAY, impressions=10000, likes=120)
    channel = session.get(ScheduleEntry, world["launch"]).channel_id
    now = datetime(2026, 11, 10, tzinfo=UTC)
    scores = besttime.best_times(session, channel, now=now)
    average = 220 / 12000
    assert scores == {
        (1, 9): pytest.approx(round((0.05 + 2 * average) / 3 / average, 4)),
        (2, 11): pytest.approx(round((0.012 + 2 * average) / 3 / average, 4)),
    }
    assert besttime.best_times(session, channel, now=now, zone="Europe/London").keys() == {(1, 9), (2, 11)}
    assert besttime.best_times(session, channel, now=now + timedelta(weeks=17)) == {}
    grid = besttime.heatmap(session, channel, now=now)
    assert grid.shape == (7, 24) and grid.notna().sum().sum() == 2


@pytest.mark.postgres
def test_the_same_results_on_postgresql(pg_url):
    from planner.db import open_workspace

    ws = open_workspace(pg_url)
    try:
        with ws.session() as session:
            ids = build(session)
            record(session, ids["launch"], T0 + DAY, impressions=1000, likes=30, replies=5, reposts=10, link_clicks=15)
            record(session, ids["launch"], T0 + 2 * DAY, impressions=2000, likes=50, replies=10, link_clicks=40)
            record(session, ids["guide"], T0 + 3 * DAY, impressions=5000, reach=3000, likes=100, link_clicks=100)
            v = results.summary(session, ids["campaign"]).values
            assert (v["impressions"], v["reach"], v["engagements"]) == (7000, 3000, 300)
            assert v["engagement_rate_reach"] == pytest.approx(200 / 3000)
            frame = results.reach_over_time(session, results.Scope(ids["campaign"]))
            assert frame["impressions"].tolist() == [1000, 2000, 7000]
            posts, total = results.posts_table(session, results.Scope(ids["campaign"]), sort="ctr")
            assert total == 5 and posts["ctr"].tolist()[:2] == [pytest.approx(0.02), pytest.approx(0.02)]
            assert voice.volume_over_time(session, results.Scope(ids["campaign"]))["our_posts"].sum() == 5
            channel = session.get(ScheduleEntry, ids["launch"]).channel_id
            assert besttime.best_times(session, channel, now=T0 + 7 * DAY) == {(1, 9): 1.0}
    finally:
        ws.dispose()
