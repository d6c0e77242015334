"""Our channels, GAMMMA+ campaigns, drafts with per-channel variants, approvals, comments and version history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.models.base import Base, utcnow


class Channel(Base):
    """One of the team's own accounts on a platform (x, facebook, instagram, youtube, telegram, tiktok, web)."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "handle", name="uq_channels_platform_handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(1024), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignTrend(Base):
    """A trend or narrative a campaign answers."""

    __tablename__ = "campaign_trends"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    trend_id: Mapped[int] = mapped_column(ForeignKey("trends.id", ondelete="CASCADE"), primary_key=True)


class CampaignChannel(Base):
    """A channel a campaign uses (the "Media" of its plan)."""

    __tablename__ = "campaign_channels"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)


class Campaign(Base):
    """A GAMMMA+ campaign plan. List-valued plan fields are JSON text (see planner.campaigns for their shape)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="planning")  # planning | active | paused | closed
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # Goal
    goal: Mapped[str] = mapped_column(Text, default="")
    kpi_targets: Mapped[str] = mapped_column(Text, default="[]")  # [{"metric", "target", "unit"}]
    # Audience
    audience: Mapped[str] = mapped_column(String(200), default="")
    audience_profile: Mapped[str] = mapped_column(Text, default="")
    audience_languages: Mapped[str] = mapped_column(Text, default="[]")  # ["en", ...]
    audience_time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    audience_active_hours: Mapped[str] = mapped_column(Text, default="[]")  # [18, 19, ...] local hours
    # Message
    message_type: Mapped[str] = mapped_column(String(16), default="alternative")  # strategic | alternative | counter
    key_message: Mapped[str] = mapped_column(Text, default="")
    # Messenger: who really speaks (never a fake persona)
    messengers: Mapped[str] = mapped_column(Text, default="[]")  # [{"name", "role", "credibility"}]
    # Media
    media_formats: Mapped[str] = mapped_column(Text, default="[]")  # ["video", "text", ...]
    # Action
    call_to_action: Mapped[str] = mapped_column(Text, default="")
    # + Monitoring and evaluation
    monitoring_plan: Mapped[str] = mapped_column(Text, default="")
    reply_capacity: Mapped[str] = mapped_column(Text, default="")
    # Transparency
    funder: Mapped[str] = mapped_column(String(255), default="")
    affiliation_disclosure: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="[]")
    required_approvals: Mapped[int] = mapped_column(default=1)
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class CampaignAdjustment(Base):
    """What changed in a campaign's plan while it ran, and why."""

    __tablename__ = "campaign_adjustments"
    __table_args__ = (Index("ix_campaign_adjustments_campaign", "campaign_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(120), default="")
    what: Mapped[str] = mapped_column(Text, default="")
    why: Mapped[str] = mapped_column(Text, default="")


class DraftTrend(Base):
    """A trend a draft answers."""

    __tablename__ = "draft_trends"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True)
    trend_id: Mapped[int] = mapped_column(ForeignKey("trends.id", ondelete="CASCADE"), primary_key=True)


class DraftVariant(Base):
    """The text a draft will post on one channel."""

    __tablename__ = "draft_variants"
    __table_args__ = (UniqueConstraint("draft_id", "channel_id", name="uq_draft_variants_channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text, default="")


class Draft(Base):
    """A counter-message: master text, per-channel variants, and where it stands in the approval workflow."""

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_campaign", "campaign_id"), Index("ix_drafts_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24), default="draft")
    claim_countered: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="[]")  # [{"title", "url"}]
    frame: Mapped[str] = mapped_column(String(32), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    master_text: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[str] = mapped_column(Text, default="[]")  # [{"ref", "alt_text"}]
    links: Mapped[str] = mapped_column(Text, default="[]")  # ["https://...", ...] base URLs before UTM tagging
    ab_label: Mapped[str] = mapped_column(String(16), default="")
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    variants: Mapped[list[DraftVariant]] = relationship(
        cascade="all, delete-orphan", order_by=DraftVariant.channel_id, lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class Approval(Base):
    """A reviewer's approval of one exact content (SHA-256 of every variant); invalidated by any later edit."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_draft", "draft_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reviewer_name: Mapped[str] = mapped_column(String(120))
    content_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    valid: Mapped[bool] = mapped_column(default=True)
    invalidated_at: Mapped[datetime | None]
    invalidated_reason: Mapped[str] = mapped_column(Text, default="")

    acknowledgements: Mapped[list[ApprovalAcknowledgement]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class ApprovalAcknowledgement(Base):
    """A warning the reviewer saw and accepted when approving, with their reason."""

    __tablename__ = "approval_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    approval_id: Mapped[int] = mapped_column(ForeignKey("approvals.id", ondelete="CASCADE"))
    check_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(255), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)


class DraftComment(Base):
    __tablename__ = "draft_comments"
    __table_args__ = (Index("ix_draft_comments_draft", "draft_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text)


class DraftVersion(Base):
    """A snapshot of a draft's content after each save (number 1, 2, ...), for history, diffs and restore."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "number", name="uq_draft_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    number: Mapped[int]
    # The draft's lock version right after this save, to find what a stale editor had loaded.
    draft_version: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text)  # JSON snapshot (see planner.drafts.snapshot)
