"""A campaign's brief settings: the planner's own executive summary, handling label and author line."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planner.models.base import Base, utcnow


class BriefSettings(Base):
    """What the planner wrote for a campaign's brief; the rest of the brief is generated from the workspace."""

    __tablename__ = "brief_settings"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    handling_label: Mapped[str] = mapped_column(String(120), default="")
    author: Mapped[str] = mapped_column(String(200), default="")
    executive_summary: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120), default="")
