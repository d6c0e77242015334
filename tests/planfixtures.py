"""Builders shared by the campaign, draft, check and workflow tests (fictional data only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from planner import auth, campaigns, channels
from planner.models import ImportBatch, Post, Trend, Watchlist, WatchlistItem

T0 = datetime(2026, 11, 5, 12, tzinfo=UTC)
SLOGAN = "The lantern sees what the cities hide"
PLAN = {
    "name": "Valley Together",
    "goal": "Raise sign-ups for the youth mentoring programme",
    "kpi_targets": [{"metric": "mentoring sign-ups", "target": 120, "unit": "people"}],
    "audience": "Young adults in Valleyton",
    "audience_profile": "18-25, active evenings, follows local football",
    "audience_languages": ["en"],
    "audience_time_zone": "Europe/London",
    "audience_active_hours": [18, 19, 20],
    "message_type": "alternative",
    "messengers": [{"name": "Sam Rivers (fictional)", "role": "youth worker", "credibility": "known locally"}],
    "media_formats": ["video", "text"],
    "call_to_action": "Join a mentoring evening",
    "monitoring_plan": "Weekly sign-up count and reply sentiment",
    "funder": "Northfield Civic Trust (fictional)",
    "affiliation_disclosure": "Funded by the trust; no government involvement",
    "tags": ["youth", "Mentoring"],
}


def make_channels(session, actor=auth.CLI_ACTOR) -> dict[str, int]:
    """Create one channel per platform; return their ids by platform."""
    return {p: channels.create_channel(session, actor, p, f"@valley_{p}").id for p in channels.PLATFORMS}


def make_campaign(session, actor=auth.CLI_ACTOR, **overrides):
    return campaigns.create_campaign(session, actor, {**PLAN, **overrides})


def make_trend(session, key: str = "#lanterncalls", texts: tuple[str, ...] = (), kind: str = "hashtag") -> Trend:
    """Store a trend and monitored posts that carry it (hashtag trends) or its term."""
    batch = ImportBatch(filename="t.csv")
    session.add(batch)
    session.flush()
    for i, text in enumerate(texts):
        session.add(
            Post(
                platform="x",
                external_id=f"{key}-{i}",
                created_at=T0 + timedelta(hours=i),
                text=text,
                hashtags=key.lstrip("#") if kind == "hashtag" else "",
                batch_id=batch.id,
            )
        )
    trend = Trend(kind=kind, key=key, label=key, detected_at=T0, peak_at=T0 + timedelta(hours=6), last_seen_at=T0)
    session.add(trend)
    session.commit()
    return trend


def make_watchlist(session, items: list[tuple[str, str]]) -> None:
    wl = Watchlist(name=f"watch-{len(items)}")
    session.add(wl)
    session.flush()
    session.add_all(WatchlistItem(watchlist_id=wl.id, kind=k, value=v) for k, v in items)
    session.commit()
