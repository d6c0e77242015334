"""Demo metrics: histories for every published post, an A/B pair with a clear winner, one post below target."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from planner.metrics import besttime, results, snapshots
from planner.models import Channel, MetricSnapshot, ScheduleEntry, utcnow
from planner.schedule import windows


def test_every_published_post_has_a_growing_history(demo_session):
    published = demo_session.scalars(
        select(ScheduleEntry.id).where(ScheduleEntry.status == "published", ScheduleEntry.published_at < utcnow())
    ).all()
    assert len(published) >= 8
    measured = set(demo_session.scalars(select(MetricSnapshot.entry_id).distinct()))
    assert measured == set(published)
    assert demo_session.scalar(select(func.count()).select_from(MetricSnapshot)) > 3 * len(published)
    for entry_id in published:
        hist = snapshots.history(demo_session, entry_id)
        assert hist["impressions"].is_monotonic_increasing and (hist["source"] == "demo").all()


def test_ab_pair_has_a_clear_winner(demo_session):
    ((channel, result),) = results.ab_tests(demo_session, results.Scope())
    assert channel.startswith("facebook")
    assert result.significant and result.p_value < 0.001 and not result.warnings
    assert result.verdict.startswith("B's engagement rate is higher, 1.9 % vs 1.2 %")


def test_one_post_underperformed_its_target(demo_session):
    summary = results.summary(demo_session, "Valley Together")
    (target,) = [t for t in summary.targets if t.kpi == "engagement_rate_impressions"]
    assert target.target == 0.02
    posts, total = results.posts_table(demo_session, summary.scope, "engagement_rate_impressions", limit=100)
    below = posts[posts["engagement_rate_impressions"] < target.target]
    assert total == len(posts) and below["draft"].tolist() == ["Apprenticeship fair"]
    assert summary.values["share_of_voice"] is not None and summary.values["time_to_response_minutes"] > 0


def test_best_time_feeds_the_schedule_scorer(demo_session):
    x = demo_session.scalar(select(Channel).where(Channel.platform == "x"))
    hours = besttime.best_hours(demo_session, x.id)
    assert hours and all(0 <= h < 168 for h in hours) and all(v > 0 for v in hours.values())
    best = max(hours, key=hours.get)
    audience = windows.Audience(time_zone="UTC")
    scorer = windows.Scorer(audience, best_hours=hours)
    plain = windows.Scorer(audience)
    monday = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday())
    at_best = monday + timedelta(hours=best)
    assert scorer.score(at_best) == plain.score(at_best)  # the channel's best hour keeps the full score
    unknown = next(h for h in range(168) if h not in hours)
    assert scorer.score(monday + timedelta(hours=unknown)) < plain.score(monday + timedelta(hours=unknown))
    assert besttime.best_hours_by_channel(demo_session, [x.id]) == {x.id: hours}


def test_slot_suggestions_use_the_channels_own_best_hours_by_default(demo_session):
    from planner.models import Trend

    x = demo_session.scalar(select(Channel).where(Channel.platform == "x"))
    trend = demo_session.scalar(select(Trend).where(Trend.status == "respond"))
    hours = besttime.best_hours(demo_session, x.id)
    assert hours
    default = windows.suggest_slots(demo_session, trend.id, x.id, limit=20)
    explicit = windows.suggest_slots(demo_session, trend.id, x.id, limit=20, best_hours=hours)
    without = windows.suggest_slots(demo_session, trend.id, x.id, limit=20, best_hours={})
    assert [(s.at, s.score) for s in default] == [(s.at, s.score) for s in explicit]
    assert [(s.at, s.score) for s in default] != [(s.at, s.score) for s in without]
