"""What the planner writes for a campaign's brief: executive summary, handling label and author (stored, audited)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import Action, require
from planner.campaigns import get_campaign
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import BriefSettings, utcnow

MAX_LABEL = 120
MAX_AUTHOR = 200
MAX_SUMMARY = 20_000


class BriefSettingsError(PlannerError):
    """A brief setting is too long or malformed; the message names the field."""


def get_settings(session: Session, campaign_id: int) -> BriefSettings:
    """Return the campaign's brief settings (empty ones, not stored, when none were saved)."""
    found = session.get(BriefSettings, campaign_id)
    return found or BriefSettings(campaign_id=campaign_id, handling_label="", author="", executive_summary="")


def clean_label(label: str) -> str:
    """Return a handling label on one line; raise BriefSettingsError when it is too long."""
    text = " ".join((label or "").split())
    if len(text) > MAX_LABEL:
        raise BriefSettingsError(f"handling label: use at most {MAX_LABEL} characters (e.g. OFFICIAL-SENSITIVE)")
    return text


def save_settings(
    session: Session,
    actor: Actor,
    campaign: int | str,
    *,
    executive_summary: str,
    handling_label: str,
    author: str,
) -> BriefSettings:
    """Store the campaign's executive summary, handling label and author; raise BriefSettingsError naming the field."""
    require(actor, Action.EDIT_CAMPAIGNS)
    label = clean_label(handling_label)
    author = " ".join((author or "").split())
    if len(author) > MAX_AUTHOR:
        raise BriefSettingsError(f"author: use at most {MAX_AUTHOR} characters")
    summary = (executive_summary or "").strip()
    if len(summary) > MAX_SUMMARY:
        raise BriefSettingsError(f"executive summary: use at most {MAX_SUMMARY:,} characters")
    with atomic(session):
        camp = get_campaign(session, campaign)
        row = session.get(BriefSettings, camp.id)
        if row is None:
            row = BriefSettings(campaign_id=camp.id)
            session.add(row)
        row.executive_summary, row.handling_label, row.author = summary, label, author
        row.updated_at, row.updated_by = utcnow(), actor.username
        audit.record(
            session, actor, "brief.settings", "campaign", camp.id, f"{camp.name}: label {label!r}, author {author!r}"
        )
    return row
