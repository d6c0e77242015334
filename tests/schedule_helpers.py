"""Builders for the schedule tests: channels, a campaign, approved drafts and a trend to respond to (fictional)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from planner.drafts import content_hash
from planner.models import Approval, Draft, DraftTrend, DraftVariant, Trend, User
from tests.planfixtures import make_campaign, make_channels

NOW = datetime(2026, 11, 10, 8, tzinfo=UTC)


def world(session, **campaign):
    """Return (channel ids by platform, campaign) for a fresh workspace."""
    chans = make_channels(session)
    return chans, make_campaign(session, **campaign)


def _reviewer(session) -> User:
    """The reviewer whose approvals the schedule tests rely on (approvals count only from active reviewers)."""
    rhea = session.scalar(select(User).where(User.username == "rhea"))
    if rhea is None:
        rhea = User(username="rhea", display_name="rhea", password_hash="-", role="reviewer")
        session.add(rhea)
        session.flush()
    return rhea


def draft(session, camp, channel_ids, title="Mentoring evening", status="approved", approved=True, trends=()):
    """Store a draft with one variant per channel, approved for its exact content unless `approved` is False."""
    d = Draft(campaign_id=camp.id, title=title, status=status, master_text=title)
    d.variants = [DraftVariant(channel_id=c, text=f"{title}: join us https://valley.example/m") for c in channel_ids]
    session.add(d)
    session.flush()
    if approved:
        rhea = _reviewer(session)
        session.add(Approval(draft_id=d.id, reviewer_id=rhea.id, reviewer_name="rhea", content_hash=content_hash(d)))
    session.add_all(DraftTrend(draft_id=d.id, trend_id=t) for t in trends)
    session.commit()
    return d


def respond_trend(session, detected_at=NOW, key="#alleyesonthelantern", lifecycle="emerging", series=None):
    """Store a trend marked "respond", with an hourly series of its own posts from detection."""
    t = Trend(
        kind="hashtag",
        key=key,
        label=key,
        detected_at=detected_at,
        peak_at=detected_at + timedelta(hours=6),
        last_seen_at=detected_at + timedelta(hours=12),
        lifecycle=lifecycle,
        status="respond",
        series_start=detected_at,
        bucket_seconds=3600,
        series=json.dumps(series or []),
    )
    session.add(t)
    session.commit()
    return t
