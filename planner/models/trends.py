"""Detected trends (stored detection results that campaigns, drafts and briefs link to), narratives and watchlists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planner.models.base import Base, utcnow


class DetectionRun(Base):
    """One run of trend detection: who ran it, over which range, with which parameters, and what it found."""

    __tablename__ = "detection_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    range_start: Mapped[datetime | None]
    range_end: Mapped[datetime | None]
    bucket_seconds: Mapped[int] = mapped_column(default=3600)
    kinds: Mapped[str] = mapped_column(String(120), default="")
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON of the thresholds used
    posts_scanned: Mapped[int] = mapped_column(default=0)
    trends_found: Mapped[int] = mapped_column(default=0)
    # The lifecycle clock: the time stages were computed at, and why (now, newest post, chosen time).
    as_of: Mapped[datetime | None]
    clock: Mapped[str] = mapped_column(String(16), default="")


class Trend(Base):
    """One trend key (hashtag, term, url, domain, narrative) found spiking; kept across detection runs."""

    __tablename__ = "trends"
    __table_args__ = (
        UniqueConstraint("kind", "key", name="uq_trends_kind_key"),
        Index("ix_trends_detected_at", "detected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # hashtag | term | url | domain | narrative
    key: Mapped[str] = mapped_column(String(512))  # hashtags as "#lowercase"
    label: Mapped[str] = mapped_column(String(512), default="")
    detected_at: Mapped[datetime]
    peak_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    peak_volume: Mapped[int] = mapped_column(default=0)
    total_volume: Mapped[int] = mapped_column(default=0)
    unique_authors: Mapped[int] = mapped_column(default=0)
    growth: Mapped[float] = mapped_column(default=0.0)
    score: Mapped[float] = mapped_column(default=0.0)
    lifecycle: Mapped[str] = mapped_column(String(16), default="emerging")
    explanation: Mapped[str] = mapped_column(Text, default="")
    bursts: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of [start, end] ISO pairs
    coordination_share: Mapped[float | None]
    watchlisted: Mapped[bool] = mapped_column(default=False)
    # Analyst triage; survives re-running detection.
    status: Mapped[str] = mapped_column(String(16), default="new")  # new | watching | respond | ignored
    status_note: Mapped[str] = mapped_column(Text, default="")
    first_stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the latest run that found this key measured (pages read these aggregates, not the posts).
    run_id: Mapped[int | None] = mapped_column(ForeignKey("detection_runs.id", ondelete="SET NULL"))
    baseline: Mapped[float] = mapped_column(default=0.0)  # posts per bucket expected when it was detected
    excess: Mapped[float] = mapped_column(default=0.0)  # peak_volume - baseline
    surprise: Mapped[float] = mapped_column(default=0.0)  # -log10 p of its most improbable bucket
    also: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of keys folded into this trend
    as_of: Mapped[datetime | None]  # the clock its lifecycle was computed at
    bucket_seconds: Mapped[int] = mapped_column(default=3600)
    series_start: Mapped[datetime | None]
    series: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of posts per bucket from series_start
    top_accounts: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of [handle, posts]
    sample_post_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of post ids


class Narrative(Base):
    """A cluster of similar monitored post texts, labelled by its top terms."""

    __tablename__ = "narratives"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(512), default="")
    top_terms: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of terms
    size: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime | None]
    last_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    params: Mapped[str] = mapped_column(Text, default="{}")


class NarrativePost(Base):
    """Membership of a monitored post in a narrative."""

    __tablename__ = "narrative_posts"
    __table_args__ = (Index("ix_narrative_posts_post_id", "post_id"),)

    narrative_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("narratives.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )


class Watchlist(Base):
    __tablename__ = "watchlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WatchlistItem(Base):
    """A known propaganda hashtag, term, domain or account (stored normalised: '#tag', 'domain.tld', '@handle')."""

    __tablename__ = "watchlist_items"
    __table_args__ = (UniqueConstraint("watchlist_id", "kind", "value", name="uq_watchlist_items_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # hashtag | term | domain | account
    value: Mapped[str] = mapped_column(String(512))
    note: Mapped[str] = mapped_column(Text, default="")
