"""Schedule entries (a draft's channel variant at a time), cadence rules, crisis pauses and calendar feed tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planner.models.base import Base, utcnow

ENTRY_STATUSES = ("planned", "published", "missed", "cancelled")
PAUSE_SCOPES = ("all", "channel", "campaign")


class ScheduleEntry(Base):
    """One channel variant of an approved draft planned for one moment (UTC), and whether it went out."""

    __tablename__ = "schedule_entries"
    __table_args__ = (
        Index("ix_schedule_entries_at", "scheduled_at"),
        Index("ix_schedule_entries_channel_at", "channel_id", "scheduled_at"),
        Index("ix_schedule_entries_draft", "draft_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("draft_variants.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="RESTRICT"))
    scheduled_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned | published | missed | cancelled
    published_url: Mapped[str | None] = mapped_column(String(2048))
    platform_post_id: Mapped[str | None] = mapped_column(String(255))
    published_at: Mapped[datetime | None]
    # The trend this post answers (its response window), if any.
    trend_id: Mapped[int | None] = mapped_column(ForeignKey("trends.id", ondelete="SET NULL"))
    # Why this slot: the auto-scheduler's or suggestion's one-line reason, or the person's note.
    why: Mapped[str] = mapped_column(Text, default="")
    # Published although a pause covered it: the person's explicit confirmation is recorded here.
    published_during_pause: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CadenceRule(Base):
    """How often one channel may post: per local day, minimum gap, allowed local hours, blackout dates."""

    __tablename__ = "cadence_rules"

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")  # the channel's audience zone (IANA)
    posts_per_day: Mapped[int] = mapped_column(default=3)
    min_gap_minutes: Mapped[int] = mapped_column(default=120)
    allowed_hours: Mapped[str] = mapped_column(Text, default="[]")  # JSON [8, 9, ...] local hours; [] = every hour
    blackout_dates: Mapped[str] = mapped_column(Text, default="[]")  # JSON ["2026-12-25", ...] local dates
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SchedulePause(Base):
    """A crisis pause over everything, one channel or one campaign, from starts_at until ends_at or a resume."""

    __tablename__ = "schedule_pauses"
    __table_args__ = (Index("ix_schedule_pauses_starts", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # all | channel | campaign
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resumed_at: Mapped[datetime | None]
    resumed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CalendarToken(Base):
    """A user's private calendar subscription token; only its SHA-256 is stored, and it can be revoked."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
