"""Stored trends: runs with their clock, triage kept across runs, records, listing order, pickers, series."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, func, select

from planner import audit, auth, trends
from planner.auth import PermissionDenied
from planner.models import DetectionRun, Post, Trend
from planner.trends import keys, reading
from tests.trend_helpers import START, store_posts, synthetic_posts


def test_detect_trends_stores_and_keeps_triage(session, drafter, viewer):
    store_posts(session, synthetic_posts())
    run = trends.detect_trends(session, drafter, kinds=("hashtag", "domain"))
    assert run.trends_found == 2 and run.posts_scanned > 5000
    assert (run.clock, pd.Timestamp(run.as_of)) == ("newest post", START + pd.Timedelta(days=6))
    blitz = session.scalar(select(Trend).where(Trend.key == "#blitz"))
    assert blitz.status == "new" and json.loads(blitz.bursts)
    assert json.loads(blitz.also) == ["greylantern-news.example"] and blitz.excess > 50
    assert sum(json.loads(blitz.series)) == 300
    assert len(trends.trend_posts(session, blitz)) == 5
    assert trends.top_accounts(blitz)["posts"].is_monotonic_decreasing
    trends.set_status(session, drafter, blitz.id, "respond", "counter with the truth sandwich")
    first_seen = blitz.first_stored_at
    trends.detect_trends(session, drafter, kinds=("hashtag", "domain"))
    session.expire_all()
    again = session.get(Trend, blitz.id)
    assert (again.status, again.status_note) == ("respond", "counter with the truth sandwich")
    assert again.first_stored_at == first_seen and again.run_id != run.id
    assert session.scalar(select(Trend.id).where(Trend.key == "#blitz")) == blitz.id  # one row per key
    log = audit.entries(session, audit.AuditFilter(action_prefix="trend"))
    assert set(log["action"]) == {"trends.detect", "trend.status"}
    assert "hashtag #blitz: new -> respond (counter with the truth sandwich)" in log["summary"].tolist()
    assert any("the newest monitored post" in s for s in log["summary"])
    with pytest.raises(PermissionDenied):
        trends.set_status(session, viewer, blitz.id, "ignored")
    with pytest.raises(PermissionDenied):
        trends.detect_trends(session, viewer)
    with pytest.raises(trends.TrendError, match="status"):
        trends.set_status(session, drafter, blitz.id, "panic")
    with pytest.raises(trends.TrendError, match="no trend"):
        trends.set_status(session, drafter, 9999, "ignored")


def test_since_until_and_clock(session, admin):
    store_posts(session, synthetic_posts())
    trends.detect_trends(
        session, admin, since=START + pd.Timedelta(days=5), until=START + pd.Timedelta(days=7), kinds=("hashtag",)
    )
    assert {t.key for t in trends.query_trends(session)} == {"#rising"}
    with pytest.raises(trends.TrendError, match="since"):
        trends.detect_trends(session, admin, since=START + pd.Timedelta(days=2), until=START)
    with pytest.raises(trends.TrendError, match="time zone"):
        trends.detect_trends(session, admin, since=START.tz_localize(None).to_pydatetime())
    run = trends.detect_trends(session, admin, kinds=("hashtag",), as_of=(START + pd.Timedelta(days=4)).to_pydatetime())
    assert run.clock == "chosen time"
    assert trends.run_clock(run).describe() == "as of Thu 5 Nov 2026, 00:00 UTC (a chosen time)"
    blitz = session.scalar(select(Trend).where(Trend.key == "#blitz"))
    assert blitz.lifecycle == "dormant" and pd.Timestamp(blitz.as_of) == START + pd.Timedelta(days=4)


def test_records_carry_excess_also_and_clock(session, admin):
    store_posts(session, synthetic_posts())
    trends.detect_trends(session, admin, kinds=("hashtag", "domain"))
    trend = session.scalar(select(Trend).where(Trend.key == "#blitz"))
    assert "coordination" not in trends.explanation_for(trend)
    trend.coordination_share = 0.43
    trend.watchlisted = True
    line = trends.explanation_for(trend)
    assert "43% of its posts since detection came from accounts acting in coordination" in line
    assert line.endswith("on a watchlist")
    rec = trends.trend_record(trend)
    assert rec["explanation"] == line and rec["also"] == ["greylantern-news.example"]
    assert rec["as_of"] == "2026-11-07T00:00:00+00:00" and rec["excess"] == round(trend.excess, 1)
    assert list(rec) == trends.RECORD_COLUMNS


def test_watchlisted_trends_are_not_moved_up(session, admin):
    store_posts(session, synthetic_posts())
    trends.detect_trends(session, admin, kinds=("hashtag",))
    ranked = trends.query_trends(session)
    ranked[-1].watchlisted = True
    session.flush()
    again = trends.query_trends(session)
    assert [t.score for t in again] == sorted((t.score for t in again), reverse=True)
    assert [t.key for t in trends.query_trends(session, trends.TrendFilter(watchlisted_only=True))] == [ranked[-1].key]


def test_new_since_last_visit(session, admin):
    assert trends.new_since(session, None) == []
    store_posts(session, synthetic_posts())
    before = pd.Timestamp.now(tz="UTC").to_pydatetime()
    trends.detect_trends(session, admin, kinds=("hashtag",))
    assert {t.key for t in trends.new_since(session, before)} == {"#blitz", "#rising"}
    assert trends.new_since(session, pd.Timestamp.now(tz="UTC").to_pydatetime()) == []


def test_picker_lists_respond_first_then_best_score(session, admin):
    store_posts(session, synthetic_posts())
    trends.detect_trends(session, admin, kinds=("hashtag",))
    best, second = trends.query_trends(session)
    assert list(trends.trend_choices(session)) == [best.id, second.id]
    trends.set_status(session, admin, second.id, "respond")
    choices = trends.trend_choices(session)
    assert list(choices) == [second.id, best.id] and choices[second.id] == f"{second.key} (hashtag, respond)"


def test_series_with_expected_counts(session, admin):
    store_posts(session, synthetic_posts())
    trends.detect_trends(session, admin, kinds=("hashtag",))
    blitz = session.scalar(select(Trend).where(Trend.key == "#blitz"))
    series = trends.trend_series(blitz)
    at_peak = series.frame[series.frame["bucket_start"] == pd.Timestamp(blitz.peak_at)].iloc[0]
    assert at_peak["posts"] == blitz.peak_volume and at_peak["expected"] < 5 and at_peak["needed"] >= 10
    assert series.frame["posts"].sum() == 300


def test_progress_is_reported(session, admin):
    store_posts(session, synthetic_posts())
    seen = []
    trends.detect_trends(session, admin, kinds=("hashtag",), progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _m in seen]
    assert fractions[0] == 0 and fractions[-1] == 1.0 and fractions == sorted(fractions)


def test_cli_actor_can_detect(session):
    assert auth.can(auth.CLI_ACTOR, auth.Action.RUN_DETECTION)


@pytest.mark.postgres
def test_detect_and_triage_on_postgresql(pg_url):
    from planner.db import open_workspace

    ws = open_workspace(pg_url)
    try:
        with ws.session() as session:
            store_posts(session, synthetic_posts())
            trends.detect_trends(session, auth.CLI_ACTOR, kinds=("hashtag", "domain"))
            blitz = session.scalar(select(Trend).where(Trend.key == "#blitz"))
            trends.set_status(session, auth.CLI_ACTOR, blitz.id, "watching", "on PostgreSQL")
            trends.detect_trends(session, auth.CLI_ACTOR, kinds=("hashtag",))
            session.expire_all()
            again = session.get(Trend, blitz.id)
            assert again.status == "watching" and again.lifecycle == "dormant"
            assert pd.Timestamp(again.detected_at) == START + pd.Timedelta(days=3, hours=18)
            assert session.scalar(select(DetectionRun.clock).order_by(DetectionRun.id.desc()).limit(1)) == "newest post"
    finally:
        ws.dispose()


def test_posts_read_in_chunks_give_the_same_trends(session, admin, monkeypatch):
    store_posts(session, synthetic_posts())

    def found():
        messages = []
        run = trends.detect_trends(
            session, admin, since=START + pd.Timedelta(days=2), progress=lambda _f, m: messages.append(m)
        )
        frame = trends.trends_frame(trends.query_trends(session, trends.TrendFilter(run_id=run.id)))
        return run.posts_scanned, frame, messages

    monkeypatch.setattr(keys, "CHUNK_POSTS", 10**9)  # one chunk
    scanned, at_once, messages = found()
    assert sum("Reading monitored posts and their keys" in m for m in messages) == 1
    monkeypatch.setattr(keys, "CHUNK_POSTS", 997)  # many chunks, the last one shorter
    streamed_scanned, streamed, messages = found()
    assert sum("Reading monitored posts and their keys" in m for m in messages) == -(-scanned // 997)
    assert len(at_once) >= 2 and streamed_scanned == scanned > 5000
    pd.testing.assert_frame_equal(streamed, at_once)
    monkeypatch.setattr(reading, "SORT_IN_MEMORY", 0)  # posts not stored in time order are sorted by the database
    pd.testing.assert_frame_equal(found()[1], at_once)


def test_posts_stored_out_of_time_order_give_the_same_trends(session, admin, monkeypatch):
    posts = synthetic_posts()
    in_order = _trends_of(session, admin, posts)
    # The same posts with ids against their time order: the scan in storage order stops at the first post out of
    # order and starts again over sorted posts (in memory, or by the database beyond SORT_IN_MEMORY).
    shuffled = posts.assign(id=np.random.default_rng(3).permutation(len(posts)) + 10_000)
    session.execute(delete(Post))
    sorted_in_memory = _trends_of(session, admin, shuffled)
    monkeypatch.setattr(reading, "SORT_IN_MEMORY", 0)
    sorted_by_database = _trends_of(session, admin, shuffled)
    assert len(in_order) >= 2
    pd.testing.assert_frame_equal(sorted_in_memory, sorted_by_database)
    pd.testing.assert_frame_equal(sorted_in_memory, in_order)


def _trends_of(session, admin, posts) -> pd.DataFrame:
    if not session.scalar(select(func.count()).select_from(Post)):
        store_posts(session, posts)
        session.commit()
    run = trends.detect_trends(session, admin, since=START + pd.Timedelta(days=2))
    frame = trends.trends_frame(trends.query_trends(session, trends.TrendFilter(run_id=run.id)))
    return frame.drop(columns=["id", "run_id"], errors="ignore")
