"""GAMMMA+ campaign plans: create, edit with optimistic locking, link trends and channels, log adjustments."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from planner import audit
from planner.audit import Actor
from planner.auth import Action, PermissionDenied, can, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import (
    Campaign,
    CampaignAdjustment,
    CampaignChannel,
    CampaignTrend,
    Channel,
    Draft,
    Trend,
    utcnow,
)

STATUSES = ("planning", "active", "paused", "closed")
MESSAGE_TYPES = ("strategic", "alternative", "counter")
MEDIA_FORMATS = ("text", "image", "video", "audio", "live", "offline")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
# Plan fields stored as JSON lists.
JSON_FIELDS = ("kpi_targets", "audience_languages", "audience_active_hours", "messengers", "media_formats", "tags")
TEXT_FIELDS = (
    "goal",
    "audience",
    "audience_profile",
    "audience_time_zone",
    "key_message",
    "call_to_action",
    "monitoring_plan",
    "reply_capacity",
    "funder",
    "affiliation_disclosure",
)
PLAN_FIELDS = (
    "name",
    "status",
    "starts_on",
    "ends_on",
    "message_type",
    "required_approvals",
    *TEXT_FIELDS,
    *JSON_FIELDS,
)
# Changing these while a campaign runs is an adjustment that needs a reason.
ADJUSTABLE = tuple(f for f in PLAN_FIELDS if f not in ("name", "status"))


class CampaignError(PlannerError):
    """A campaign plan is invalid or the campaign does not exist; the message names the field."""


class CampaignConflictError(PlannerError):
    """Someone else saved the campaign since it was loaded; nothing was overwritten."""

    def __init__(self, message: str, changed: dict[str, tuple[Any, Any]]):
        super().__init__(message)
        self.changed = changed


def _text(value: Any) -> str:
    """Return `value` as stripped text; None and NaN (empty table cells) become ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _loads(value: str) -> Any:
    return json.loads(value) if value else []


def blank_plan() -> dict[str, Any]:
    """Return the plan a new campaign starts from: empty fields, one approval per draft, planning, alternative."""
    out: dict[str, Any] = {f: ([] if f in JSON_FIELDS else "") for f in PLAN_FIELDS}
    out.update(
        starts_on=None,
        ends_on=None,
        required_approvals=1,
        status="planning",
        message_type="alternative",
        audience_time_zone="UTC",
    )
    return out


def plan(campaign: Campaign) -> dict[str, Any]:
    """Return the campaign's plan as a plain dict (JSON fields decoded)."""
    out: dict[str, Any] = {f: getattr(campaign, f) for f in PLAN_FIELDS if f not in JSON_FIELDS}
    out.update({f: _loads(getattr(campaign, f)) for f in JSON_FIELDS})
    return out


def _blank(row: dict) -> bool:
    """A table row the person left empty (the editor's spare row): skipped, not an error."""
    return not any(_text(v) for v in row.values())


def _clean_kpis(kpis: list) -> list[dict]:
    out = []
    for i, k in enumerate(kpis or [], start=1):
        if _blank(k):
            continue
        metric = _text(k.get("metric"))
        if not metric:
            raise CampaignError(f"KPI targets, row {i}: name the metric (e.g. 'link clicks from the audience')")
        try:
            target = float(k.get("target"))
        except (TypeError, ValueError):
            target = math.nan
        if math.isnan(target):
            raise CampaignError(f"KPI targets, row {i} ({metric}): the target must be a number")
        if target < 0:
            raise CampaignError(f"KPI targets, row {i} ({metric}): the target must not be negative")
        out.append({"metric": metric, "target": target, "unit": _text(k.get("unit"))})
    return out


def _clean_messengers(messengers: list) -> list[dict]:
    out = []
    for i, m in enumerate(messengers or [], start=1):
        if _blank(m):
            continue
        name = _text(m.get("name"))
        if not name:
            raise CampaignError(f"messengers, row {i}: give the real name of who speaks")
        out.append(
            {
                "name": name,
                "role": _text(m.get("role")),
                "credibility": _text(m.get("credibility")),
            }
        )
    return out


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Validate plan fields; return them normalised. Raises CampaignError naming the field."""
    d = dict(data)
    unknown = set(d) - set(PLAN_FIELDS)
    if unknown:
        raise CampaignError(f"unknown plan field(s): {', '.join(sorted(unknown))}")
    for f in TEXT_FIELDS:
        if f in d:
            d[f] = str(d[f] or "").strip()
    if "name" in d:
        d["name"] = str(d["name"] or "").strip()
        if not d["name"]:
            raise CampaignError("name: give the campaign a name")
        if len(d["name"]) > 200:
            raise CampaignError("name: use at most 200 characters")
    if "status" in d and d["status"] not in STATUSES:
        raise CampaignError(f"status: {d['status']!r} is not one of {', '.join(STATUSES)}")
    if "message_type" in d and d["message_type"] not in MESSAGE_TYPES:
        raise CampaignError(f"message type: {d['message_type']!r} is not one of {', '.join(MESSAGE_TYPES)}")
    if "required_approvals" in d:
        try:
            d["required_approvals"] = int(d["required_approvals"])
        except (TypeError, ValueError):
            raise CampaignError("required approvals: give a number from 1 to 3") from None
        if not 1 <= d["required_approvals"] <= 3:
            raise CampaignError("required approvals: a campaign requires 1 to 3 approvals per draft")
    for f in ("starts_on", "ends_on"):
        if d.get(f) is not None and not isinstance(d[f], date):
            try:
                d[f] = date.fromisoformat(str(d[f]))
            except ValueError:
                raise CampaignError(f"{f.replace('_', ' ')}: {d[f]!r} is not a date (YYYY-MM-DD)") from None
    if "audience_time_zone" in d:
        try:
            ZoneInfo(d["audience_time_zone"] or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise CampaignError(
                f"audience time zone: {d['audience_time_zone']!r} is not a known zone (e.g. Europe/London)"
            ) from None
        d["audience_time_zone"] = d["audience_time_zone"] or "UTC"
    if "audience_languages" in d:
        langs = [str(x).strip() for x in d["audience_languages"] or [] if str(x).strip()]
        bad = [x for x in langs if not LANGUAGE_RE.match(x)]
        if bad:
            raise CampaignError(f"audience languages: {bad[0]!r} is not a language code (e.g. en, fr, pt-BR)")
        d["audience_languages"] = list(dict.fromkeys(langs))
    if "audience_active_hours" in d:
        try:
            hours = sorted({int(h) for h in d["audience_active_hours"] or []})
        except (TypeError, ValueError):
            raise CampaignError("audience active hours: use whole hours from 0 to 23") from None
        if any(not 0 <= h <= 23 for h in hours):
            raise CampaignError("audience active hours: use whole hours from 0 to 23")
        d["audience_active_hours"] = hours
    if "media_formats" in d:
        bad = [x for x in d["media_formats"] or [] if x not in MEDIA_FORMATS]
        if bad:
            raise CampaignError(f"media formats: {bad[0]!r} is not one of {', '.join(MEDIA_FORMATS)}")
        d["media_formats"] = list(dict.fromkeys(d["media_formats"] or []))
    if "tags" in d:
        d["tags"] = list(dict.fromkeys(str(t).strip().lower() for t in d["tags"] or [] if str(t).strip()))
    if "kpi_targets" in d:
        d["kpi_targets"] = _clean_kpis(d["kpi_targets"])
    if "messengers" in d:
        d["messengers"] = _clean_messengers(d["messengers"])
    return d


def _check_complete(p: dict[str, Any]) -> None:
    # Transparency rules: a plan always says who really speaks and who pays.
    if not p.get("messengers"):
        raise CampaignError("messengers: record at least one real messenger (who speaks; no invented personas)")
    if not p.get("funder"):
        raise CampaignError("funder: record who funds the campaign (disclosed, never hidden)")
    if p.get("starts_on") and p.get("ends_on") and p["ends_on"] < p["starts_on"]:
        raise CampaignError("ends on: the end date is before the start date")


def _store(campaign: Campaign, d: dict[str, Any]) -> None:
    for f, v in d.items():
        setattr(campaign, f, json.dumps(v, ensure_ascii=False) if f in JSON_FIELDS else v)


def _name_taken(session: Session, name: str, except_id: int | None = None) -> bool:
    stmt = select(Campaign.id).where(func.lower(Campaign.name) == name.lower())
    if except_id is not None:
        stmt = stmt.where(Campaign.id != except_id)
    return session.scalar(stmt) is not None


def may_change_required_approvals(actor: Actor) -> bool:
    """Return True when `actor` may change how many approvals a campaign's drafts need (reviewers and admins)."""
    return can(actor, Action.REVIEW_DRAFTS)


def create_campaign(session: Session, actor: Actor, data: dict[str, Any]) -> Campaign:
    """Create a campaign from plan fields; raise CampaignError naming the first bad field."""
    require(actor, Action.EDIT_CAMPAIGNS)
    d = _clean({"status": "planning", "required_approvals": 1, **data})
    if not d.get("name"):
        raise CampaignError("name: give the campaign a name")
    _check_complete(d)
    with atomic(session):
        if _name_taken(session, d["name"]):
            raise CampaignError(f"name: a campaign called {d['name']!r} already exists")
        campaign = Campaign(created_by=actor.user_id)
        _store(campaign, d)
        session.add(campaign)
        session.flush()
        audit.record(session, actor, "campaign.create", "campaign", campaign.id, f"created campaign {d['name']!r}")
    return campaign


def update_campaign(
    session: Session,
    actor: Actor,
    campaign_id: int,
    expected_version: int,
    changes: dict[str, Any],
    reason: str = "",
    loaded_plan: dict[str, Any] | None = None,
) -> Campaign:
    """Change plan fields of a campaign loaded at `expected_version`.

    While the campaign is active or paused, plan changes are adjustments and need a `reason`; they are logged.
    Raises CampaignConflictError when someone saved in between (its `changed` holds their changes, field by field,
    when the caller passes the `loaded_plan` it started from), CampaignError otherwise.
    """
    require(actor, Action.EDIT_CAMPAIGNS)
    d = _clean(changes)
    with atomic(session):
        campaign = get_campaign(session, campaign_id)
        if campaign.version != expected_version:
            current = plan(campaign)
            theirs = {
                f: (loaded_plan[f], current[f]) for f in current if loaded_plan and loaded_plan.get(f) != current[f]
            }
            detail = f": they changed {', '.join(f.replace('_', ' ') for f in theirs)}" if theirs else ""
            raise CampaignConflictError(
                f"campaign {campaign.name!r} was changed by someone else since you opened it (version "
                f"{expected_version} -> {campaign.version}){detail}. Nothing was overwritten: load the latest "
                "version and apply your changes again",
                theirs,
            )
        before = plan(campaign)
        changed = {f: (before[f], v) for f, v in d.items() if before.get(f) != v}
        if not changed:
            return campaign
        if "required_approvals" in changed and not may_change_required_approvals(actor):
            raise PermissionDenied(
                f"{actor.username} ({actor.role}) may not change how many approvals {campaign.name!r} needs: "
                "a reviewer or an admin may"
            )
        after = {**before, **d}
        _check_complete(after)
        if "name" in changed and _name_taken(session, d["name"], campaign.id):
            raise CampaignError(f"name: a campaign called {d['name']!r} already exists")
        adjusted = [f for f in changed if f in ADJUSTABLE]
        if campaign.status in ("active", "paused") and adjusted:
            if not reason.strip():
                raise CampaignError(
                    f"reason: {campaign.name!r} is running; say why you change {', '.join(adjusted)} "
                    "(it goes into the adjustments log)"
                )
            session.add(
                CampaignAdjustment(
                    campaign_id=campaign.id,
                    author_id=actor.user_id,
                    author_name=actor.username,
                    what=_describe(changed, adjusted),
                    why=reason.strip(),
                )
            )
        _store(campaign, {f: d[f] for f in changed})
        campaign.updated_at = utcnow()
        try:
            session.flush()
        except StaleDataError as exc:  # a concurrent save won the race between our read and write
            raise CampaignConflictError(
                f"campaign {campaign.name!r} was changed by someone else while you saved; reload it", {}
            ) from exc
        audit.record(
            session, actor, "campaign.update", "campaign", campaign.id, f"{campaign.name}: {', '.join(changed)}"
        )
    return campaign


def _describe(changed: dict[str, tuple[Any, Any]], fields: list[str]) -> str:
    parts = []
    for f in fields:
        old, new = changed[f]
        parts.append(f"{f.replace('_', ' ')}: {_short(old)} -> {_short(new)}")
    return "; ".join(parts)


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def set_status(session: Session, actor: Actor, campaign_id: int, status: str, reason: str = "") -> Campaign:
    """Move a campaign to planning, active, paused or closed; pausing and closing need a reason (logged)."""
    require(actor, Action.EDIT_CAMPAIGNS)
    if status not in STATUSES:
        raise CampaignError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    with atomic(session):
        campaign = get_campaign(session, campaign_id)
        before = campaign.status
        if before == status:
            return campaign
        if status in ("paused", "closed") and not reason.strip():
            raise CampaignError(f"reason: say why the campaign is {status}")
        campaign.status = status
        campaign.updated_at = utcnow()
        if before != "planning":
            session.add(
                CampaignAdjustment(
                    campaign_id=campaign.id,
                    author_id=actor.user_id,
                    author_name=actor.username,
                    what=f"status: {before} -> {status}",
                    why=reason.strip(),
                )
            )
        audit.record(
            session, actor, "campaign.status", "campaign", campaign.id, f"{campaign.name}: {before} -> {status}"
        )
    return campaign


def set_links(
    session: Session,
    actor: Actor,
    campaign_id: int,
    *,
    trend_ids: list[int] | None = None,
    channel_ids: list[int] | None = None,
) -> Campaign:
    """Replace the trends and/or channels linked to a campaign; raise CampaignError for unknown ids."""
    require(actor, Action.EDIT_CAMPAIGNS)
    with atomic(session):
        campaign = get_campaign(session, campaign_id)
        summary = []
        if trend_ids is not None:
            ids = sorted(set(trend_ids))
            found = set(session.scalars(select(Trend.id).where(Trend.id.in_(ids))))
            if missing := [i for i in ids if i not in found]:
                raise CampaignError(f"linked trends: no trend with id {missing[0]}")
            session.execute(delete(CampaignTrend).where(CampaignTrend.campaign_id == campaign.id))
            session.add_all(CampaignTrend(campaign_id=campaign.id, trend_id=i) for i in ids)
            summary.append(f"trends {ids}")
        if channel_ids is not None:
            ids = sorted(set(channel_ids))
            found = set(session.scalars(select(Channel.id).where(Channel.id.in_(ids))))
            if missing := [i for i in ids if i not in found]:
                raise CampaignError(f"channels: no channel with id {missing[0]}")
            session.execute(delete(CampaignChannel).where(CampaignChannel.campaign_id == campaign.id))
            session.add_all(CampaignChannel(campaign_id=campaign.id, channel_id=i) for i in ids)
            summary.append(f"channels {ids}")
        audit.record(session, actor, "campaign.link", "campaign", campaign.id, f"{campaign.name}: {'; '.join(summary)}")
    return campaign


def get_campaign(session: Session, name_or_id: int | str) -> Campaign:
    """Return the campaign with this id or (case-insensitive) name; raise CampaignError if none."""
    campaign = None
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        campaign = session.get(Campaign, int(name_or_id))
    if campaign is None:
        campaign = session.scalar(select(Campaign).where(func.lower(Campaign.name) == str(name_or_id).strip().lower()))
    if campaign is None:
        raise CampaignError(f"campaign: no campaign with id or name {name_or_id!r}")
    return campaign


def linked_trends(session: Session, campaign_id: int) -> list[Trend]:
    """Return the trends a campaign answers, newest first."""
    stmt = (
        select(Trend)
        .join(CampaignTrend, CampaignTrend.trend_id == Trend.id)
        .where(CampaignTrend.campaign_id == campaign_id)
        .order_by(Trend.detected_at.desc())
    )
    return list(session.scalars(stmt))


def linked_channels(session: Session, campaign_id: int) -> list[Channel]:
    """Return the channels a campaign uses."""
    stmt = (
        select(Channel)
        .join(CampaignChannel, CampaignChannel.channel_id == Channel.id)
        .where(CampaignChannel.campaign_id == campaign_id)
        .order_by(Channel.platform, Channel.handle)
    )
    return list(session.scalars(stmt))


def adjustments(session: Session, campaign_id: int) -> pd.DataFrame:
    """Return the campaign's adjustments log, newest first (at, author, what, why)."""
    rows = session.execute(
        select(CampaignAdjustment.at, CampaignAdjustment.author_name, CampaignAdjustment.what, CampaignAdjustment.why)
        .where(CampaignAdjustment.campaign_id == campaign_id)
        .order_by(CampaignAdjustment.id.desc())
    ).all()
    return pd.DataFrame(rows, columns=["at", "author", "what", "why"])


@dataclass(frozen=True)
class CampaignRow:
    id: int
    name: str
    status: str
    message_type: str
    audience: str
    starts_on: date | None
    ends_on: date | None
    drafts: int
    trends: int
    tags: list[str]


def list_campaigns(session: Session, status: str | None = None) -> pd.DataFrame:
    """Return campaigns with draft and trend counts, newest first."""
    drafts = select(Draft.campaign_id, func.count(Draft.id).label("n")).group_by(Draft.campaign_id).subquery()
    trends = (
        select(CampaignTrend.campaign_id, func.count(CampaignTrend.trend_id).label("n"))
        .group_by(CampaignTrend.campaign_id)
        .subquery()
    )
    stmt = (
        select(
            Campaign.id,
            Campaign.name,
            Campaign.status,
            Campaign.message_type,
            Campaign.audience,
            Campaign.starts_on,
            Campaign.ends_on,
            func.coalesce(drafts.c.n, 0),
            func.coalesce(trends.c.n, 0),
            Campaign.tags,
        )
        .outerjoin(drafts, drafts.c.campaign_id == Campaign.id)
        .outerjoin(trends, trends.c.campaign_id == Campaign.id)
        .order_by(Campaign.id.desc())
    )
    if status:
        stmt = stmt.where(Campaign.status == status)
    rows = [CampaignRow(*r[:-1], tags=_loads(r[-1])) for r in session.execute(stmt).all()]
    cols = list(CampaignRow.__dataclass_fields__)
    return pd.DataFrame([r.__dict__ for r in rows], columns=cols)


def trend_choices(session: Session, limit: int = 200) -> dict[int, str]:
    """Return trends for pickers as {id: 'key (kind, triage)'}: those marked respond first, then the best by score."""
    from planner import trends

    return trends.trend_choices(session, limit)


def kpi_summary(campaign: Campaign) -> list[str]:
    """Return the KPI targets as readable lines ('mentoring sign-ups: 120 people')."""
    return [f"{k['metric']}: {k['target']:g} {k['unit']}".rstrip() for k in _loads(campaign.kpi_targets)]
