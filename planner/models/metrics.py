"""Reach metrics of published schedule entries: snapshots over time, import runs, confirmed post references."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planner.models.base import Base, utcnow
from planner.models.schedule import ScheduleEntry

# Results select published entries by publication time (the schedule's own indexes are on scheduled_at).
Index("ix_schedule_entries_published", ScheduleEntry.status, ScheduleEntry.published_at)


class MetricImport(Base):
    """One import of a platform analytics export: who, which file and preset, what was matched."""

    __tablename__ = "metric_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    preset: Mapped[str] = mapped_column(String(16), default="generic")
    platform: Mapped[str] = mapped_column(String(16), default="")
    rows_read: Mapped[int] = mapped_column(default=0)
    recorded: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    unmatched: Mapped[int] = mapped_column(default=0)
    options: Mapped[str] = mapped_column(Text, default="{}")  # JSON: mapping, time zone, captured_at


class MetricSnapshot(Base):
    """A published entry's lifetime counts as the platform reported them at `captured_at`; never overwritten.

    A component left empty (None) was not reported, which is not the same as 0.
    """

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        # One snapshot per entry and moment: the same moment with other values is a conflict, never a replacement.
        UniqueConstraint("entry_id", "captured_at", name="uq_metric_snapshots_entry_captured"),
        Index("ix_metric_snapshots_import", "import_id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,  # SQLite needs INTEGER for a rowid key
    )
    entry_id: Mapped[int] = mapped_column(ForeignKey("schedule_entries.id", ondelete="CASCADE"))
    captured_at: Mapped[datetime]
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    quotes: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    link_clicks: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    video_views: Mapped[int | None] = mapped_column(BigInteger)
    completions_25: Mapped[int | None] = mapped_column(BigInteger)
    completions_50: Mapped[int | None] = mapped_column(BigInteger)
    completions_75: Mapped[int | None] = mapped_column(BigInteger)
    completions_100: Mapped[int | None] = mapped_column(BigInteger)
    follows_gained: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | import | demo
    import_id: Mapped[int | None] = mapped_column(ForeignKey("metric_imports.id", ondelete="SET NULL"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class MetricPostRef(Base):
    """A platform post id or link a person confirmed as one of our published entries, for later imports."""

    __tablename__ = "metric_post_refs"
    __table_args__ = (
        UniqueConstraint("platform", "ref", name="uq_metric_post_refs_platform_ref"),
        Index("ix_metric_post_refs_entry", "entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("schedule_entries.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(512))  # "id:<post id>" or "url:<normalised link>"
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
