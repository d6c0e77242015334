"""Detected trends (stored detection results that campaigns, drafts and briefs link to) and watchlists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planner.models.base import Base, utcnow


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
