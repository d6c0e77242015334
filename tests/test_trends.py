"""Trends end to end: the package's public names, real PHEME events near their onsets, the live demo's trends."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from planner import trends
from planner.demo import posts as demo_posts
from planner.models import Trend
from tests.conftest import FIXTURES
from tests.trend_helpers import store_posts

# Each PHEME event and the hashtag it is known by; the file starts with the Ferguson unrest.
PHEME_EVENTS = {
    "ferguson": "#ferguson",
    "ottawashooting": "#ottawashooting",
    "sydneysiege": "#sydneysiege",
    "charliehebdo": "#charliehebdo",
    "germanwings-crash": "#germanwings",
}


def test_public_names_are_re_exported():
    for name in ("detect", "detect_trends", "run_detection", "query_trends", "trend_record", "TrendFilter", "Progress"):
        assert hasattr(trends, name), name
    assert set(trends.__all__) <= set(dir(trends))


@pytest.fixture
def pheme(session):
    raw = pd.read_csv(FIXTURES / "pheme" / "pheme_source_tweets.csv", dtype=str, keep_default_na=False)
    frame = pd.DataFrame(
        {
            "id": np.arange(1, len(raw) + 1),
            "created_at": pd.to_datetime(raw["created_at_utc"], utc=True),
            "author_id": raw["user_id"],
            "author_handle": raw["user_screen_name"],
            "text": raw["text"],
            "lang": raw["lang"],
            "hashtags": raw["hashtags"].str.replace("|", " ").str.casefold(),
            "urls": raw["urls_expanded"].str.replace("|", " "),
            "likes": pd.to_numeric(raw["favorite_count"]).fillna(0),
            "reposts": pd.to_numeric(raw["retweet_count"]).fillna(0),
        }
    )
    store_posts(session, frame, platform="twitter")
    return raw.assign(t=pd.to_datetime(raw["created_at_utc"], utc=True)).groupby("event")["t"].min()


def test_pheme_events_are_trends_near_their_onsets(session, admin, pheme):
    run = trends.detect_trends(session, admin, kinds=("hashtag",))
    assert run.clock == "newest post"
    found = {t.key: t for t in trends.query_trends(session)}
    for event, tag in PHEME_EVENTS.items():
        lag = pd.Timestamp(found[tag].detected_at) - pheme[event]
        # Buckets start on the hour, so a trend found in the onset's hour starts up to an hour before it.
        assert pd.Timedelta(hours=-1) < lag <= pd.Timedelta(hours=2), (tag, lag)
        assert found[tag].lifecycle == "dormant" and found[tag].excess > 10
    top = [t.key for t in trends.query_trends(session, limit=8)]
    assert {"#ferguson", "#sydneysiege", "#germanwings"} <= set(top)


def test_demo_is_live_with_modest_trends(demo_session):
    session = demo_session
    found = {t.key: t for t in trends.query_trends(session)}
    assert 3 <= len(found) <= 25
    run = trends.latest_run(session)
    now = pd.Timestamp(run.as_of)
    assert run.clock == "now" and now == now.floor("h")
    blitz_spec, alleyes_spec, festival_spec = demo_posts.planted_bursts(now)
    alleyes = found["#alleyesonthelantern"]
    assert alleyes.lifecycle == "emerging" and alleyes.watchlisted and alleyes.status == "respond"
    assert alleyes_spec["start"] <= pd.Timestamp(alleyes.detected_at) < now
    blitz = found["#greylanternrises"]
    assert blitz_spec["start"] <= pd.Timestamp(blitz.peak_at) < blitz_spec["end"]
    assert blitz.lifecycle in {"declining", "dormant"} and blitz.watchlisted and blitz.unique_authors >= 100
    spans = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in json.loads(blitz.bursts)]
    assert any(a <= blitz_spec["start"] + pd.Timedelta(hours=1) and b >= blitz_spec["end"] for a, b in spans)
    festival = found["#riverfestival"]
    assert festival.lifecycle == "dormant" and not festival.watchlisted
    assert festival_spec["start"] <= pd.Timestamp(festival.peak_at) < festival_spec["end"]
    for tag in ("#valleyton", "#councilvote", "#trainstrike", "#harvestmarket", "#footballcup"):
        assert tag not in found
    stored = session.scalars(select(Trend.key).where(Trend.kind == "term")).all()
    assert not {"keeps", "safe", "order keeps", "order"} & set(stored)  # slogans folded into their hashtags
