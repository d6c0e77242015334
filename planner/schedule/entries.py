"""Schedule entries: put an approved draft's channel variant at a time, move, cancel, mark published; list them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import audit, channels, wording
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.drafts import URL_RE, approval_counts, content_hash
from planner.models import (
    Approval,
    Campaign,
    CampaignTrend,
    Channel,
    Draft,
    DraftTrend,
    DraftVariant,
    ScheduleEntry,
    Trend,
    utcnow,
)
from planner.schedule import EarlyPublishConfirmationRequired, PauseConfirmationRequired, ScheduleError
from planner.schedule import pauses as pauses_mod
from planner.schedule.cadence import Cadence, all_cadences
from planner.workflow import TRANSITIONS

STATUSES = ("planned", "published", "missed", "cancelled")
# Statuses that hold a slot (count towards cadence and conflicts).
HOLDING = ("planned", "published")
SCHEDULABLE_DRAFT_STATES = ("approved", "scheduled")
# Marking a post published this much before its due time is normal (staff post a little early); more needs a confirm.
EARLY_GRACE = timedelta(minutes=15)


def reasons_not_schedulable(session: Session, drafts: Sequence[Draft]) -> dict[int, str | None]:
    """Return, per draft id, why it may not be scheduled (None when it may): only approved content is scheduled."""
    ids = [d.id for d in drafts]
    approvals: dict[int, list[str]] = {i: [] for i in ids}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        stmt = select(Approval.draft_id, Approval.content_hash).where(approval_counts(), Approval.draft_id.in_(part))
        for draft_id, digest in session.execute(stmt):
            approvals[draft_id].append(digest)
    camp_ids = {d.campaign_id for d in drafts}
    camps = {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(camp_ids)))}
    out: dict[int, str | None] = {}
    for d in drafts:
        camp = camps[d.campaign_id]
        have = approvals[d.id].count(content_hash(d)) if d.status in SCHEDULABLE_DRAFT_STATES else 0
        if d.status not in SCHEDULABLE_DRAFT_STATES:
            out[d.id] = f"it is {d.status.replace('_', ' ')}: only approved drafts are scheduled"
        elif have < camp.required_approvals:
            out[d.id] = f"{have} of {camp.required_approvals} approval(s) match its current content"
        elif camp.status in ("closed", "paused"):
            out[d.id] = f"its campaign {camp.name!r} is {camp.status}"
        else:
            out[d.id] = None
    return out


def answered_trends(
    session: Session, drafts: Sequence[Draft], statuses: Sequence[str] | None = ("respond",)
) -> dict[int, list[Trend]]:
    """Return per draft id the trends it answers (in `statuses`; None: any): those linked to the draft itself first,
    then those linked to its campaign, each newest first. A draft written for a campaign that answers a trend
    answers that trend too, even when the draft names no trend of its own."""
    ids = [d.id for d in drafts]
    out: dict[int, list[Trend]] = {i: [] for i in ids}
    if not ids:
        return out

    def wanted(stmt):
        stmt = stmt.order_by(Trend.detected_at.desc(), Trend.id)
        return stmt if statuses is None else stmt.where(Trend.status.in_(statuses))

    direct = select(DraftTrend.draft_id, Trend).join(Trend, Trend.id == DraftTrend.trend_id)
    for draft_id, trend in session.execute(wanted(direct.where(DraftTrend.draft_id.in_(ids)))):
        out[draft_id].append(trend)
    by_campaign: dict[int, list[Trend]] = {}
    via = select(CampaignTrend.campaign_id, Trend).join(Trend, Trend.id == CampaignTrend.trend_id)
    campaign_ids = {d.campaign_id for d in drafts}
    for campaign_id, trend in session.execute(wanted(via.where(CampaignTrend.campaign_id.in_(campaign_ids)))):
        by_campaign.setdefault(campaign_id, []).append(trend)
    for d in drafts:
        own = {t.id for t in out[d.id]}
        out[d.id] += [t for t in by_campaign.get(d.campaign_id, []) if t.id not in own]
    return out


def why_not_schedulable(session: Session, draft: Draft) -> str | None:
    """Return why a draft may not be scheduled (None when it may)."""
    return reasons_not_schedulable(session, [draft])[draft.id]


def move_draft(session: Session, actor: Actor, draft: Draft, name: str) -> None:
    """Apply workflow transition `name` (schedule, unschedule, publish) when the workflow has it from this state."""
    t = TRANSITIONS.get(name)
    if t is None or draft.status not in t.sources:
        return
    before = draft.status
    draft.status = t.target
    draft.updated_at = utcnow()
    audit.record(session, actor, f"draft.{name}", "draft", draft.id, f"{draft.title}: {before} -> {t.target}")


def _variant(session: Session, variant_id: int) -> DraftVariant:
    v = session.get(DraftVariant, int(variant_id))
    if v is None:
        raise ScheduleError(f"variant: no channel variant with id {variant_id}")
    return v


def _entry(session: Session, entry_id: int) -> ScheduleEntry:
    e = session.get(ScheduleEntry, int(entry_id))
    if e is None:
        raise ScheduleError(f"entry: no scheduled post with id {entry_id}")
    return e


def _covering_pause(session: Session, channel_id: int, campaign_id: int, at: datetime):
    for p in pauses_mod.current_pauses(session):
        if pauses_mod.covers(p, channel_id, campaign_id, at):
            return p
    return None


def _check_time(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ScheduleError("time: give a time with its zone (the core stores UTC)")
    return at.astimezone(UTC)


def add_entry(
    session: Session,
    actor: Actor,
    variant_id: int,
    at: datetime,
    *,
    trend_id: int | None = None,
    why: str = "",
    now: datetime | None = None,
) -> ScheduleEntry:
    """Schedule one channel variant of an approved draft at `at`; move the draft to "scheduled".

    Conflicts with the channel's cadence are allowed and flagged on the calendar. Raises ScheduleError (not
    approved, in the past, inside a pause, inactive channel) or PermissionDenied.
    """
    require(actor, Action.SCHEDULE)
    at = _check_time(at)
    now = now or utcnow()
    with atomic(session):
        variant = _variant(session, variant_id)
        draft = session.get(Draft, variant.draft_id)
        reason = why_not_schedulable(session, draft)
        if reason:
            raise ScheduleError(f"cannot schedule {draft.title!r}: {reason}")
        channel = session.get(Channel, variant.channel_id)
        if not channel.active:
            raise ScheduleError(f"cannot schedule on {channels.label(channel)}: the channel is inactive")
        if at < now - timedelta(minutes=1):
            raise ScheduleError(f"time: {at:%Y-%m-%d %H:%M} UTC is in the past")
        paused = _covering_pause(session, channel.id, draft.campaign_id, at)
        if paused is not None:
            raise ScheduleError(
                f"cannot schedule {draft.title!r} at {at:%Y-%m-%d %H:%M} UTC: "
                f"{pauses_mod.scope_of(session, paused).text()} is paused ({paused.reason})"
            )
        if trend_id is not None and session.get(Trend, int(trend_id)) is None:
            raise ScheduleError(f"trend: no trend with id {trend_id}")
        entry = ScheduleEntry(
            draft_id=draft.id,
            variant_id=variant.id,
            channel_id=channel.id,
            scheduled_at=at,
            trend_id=trend_id,
            why=why,
            created_by=actor.user_id,
        )
        session.add(entry)
        session.flush()
        move_draft(session, actor, draft, "schedule")
        audit.record(
            session,
            actor,
            "schedule.add",
            "schedule_entry",
            entry.id,
            f"{draft.title} on {channels.label(channel)} at {at:%Y-%m-%d %H:%M} UTC",
        )
    return entry


def move_entry(session: Session, actor: Actor, entry_id: int, at: datetime, *, now: datetime | None = None):
    """Move a planned post to another time; raise ScheduleError (not planned, past, paused) or PermissionDenied."""
    require(actor, Action.SCHEDULE)
    at = _check_time(at)
    now = now or utcnow()
    with atomic(session):
        entry = _entry(session, entry_id)
        if entry.status not in ("planned", "missed"):
            raise ScheduleError(f"entry #{entry.id} is {entry.status}: only planned or missed posts can be moved")
        if at < now - timedelta(minutes=1):
            raise ScheduleError(f"time: {at:%Y-%m-%d %H:%M} UTC is in the past")
        draft = session.get(Draft, entry.draft_id)
        paused = _covering_pause(session, entry.channel_id, draft.campaign_id, at)
        if paused is not None:
            raise ScheduleError(f"{at:%Y-%m-%d %H:%M} UTC is inside a pause ({paused.reason})")
        before = entry.scheduled_at
        entry.scheduled_at, entry.status, entry.updated_at = at, "planned", now
        audit.record(
            session,
            actor,
            "schedule.move",
            "schedule_entry",
            entry.id,
            f"{draft.title}: {before:%Y-%m-%d %H:%M} -> {at:%Y-%m-%d %H:%M} UTC",
        )
    return entry


def cancel_entry(session: Session, actor: Actor, entry_id: int, reason: str = "") -> ScheduleEntry:
    """Cancel a planned post; a draft with nothing left planned goes back to "approved"."""
    require(actor, Action.SCHEDULE)
    with atomic(session):
        entry = _entry(session, entry_id)
        if entry.status == "published":
            raise ScheduleError(f"entry #{entry.id} is already published: it cannot be cancelled")
        entry.status, entry.updated_at = "cancelled", utcnow()
        draft = session.get(Draft, entry.draft_id)
        left = session.scalar(
            select(ScheduleEntry.id)
            .where(ScheduleEntry.draft_id == draft.id, ScheduleEntry.status.in_(HOLDING), ScheduleEntry.id != entry.id)
            .limit(1)
        )
        if left is None:
            move_draft(session, actor, draft, "unschedule")
        note = f": {reason.strip()}" if reason.strip() else ""
        audit.record(session, actor, "schedule.cancel", "schedule_entry", entry.id, f"{draft.title} cancelled{note}")
    return entry


def mark_published(
    session: Session,
    actor: Actor,
    entry_id: int,
    url: str,
    *,
    published_at: datetime | None = None,
    platform_post_id: str | None = None,
    confirm_during_pause: bool = False,
    confirm_early: bool = False,
    now: datetime | None = None,
) -> ScheduleEntry:
    """Record that staff posted the entry on the platform, with its URL; move the draft to "published".

    Inside an active pause this needs `confirm_during_pause=True` (else PauseConfirmationRequired); before the entry's
    due time it needs `confirm_early=True` (else EarlyPublishConfirmationRequired: a post marked published early is
    often the wrong post). Raises ScheduleError for a bad URL or a cancelled entry, PermissionDenied.
    """
    require(actor, Action.SCHEDULE)
    now = now or utcnow()
    url = (url or "").strip()
    if not URL_RE.fullmatch(url):
        raise ScheduleError(f"published URL: {url!r} is not an http(s) URL")
    with atomic(session):
        entry = _entry(session, entry_id)
        if entry.status == "cancelled":
            raise ScheduleError(f"entry #{entry.id} was cancelled: schedule it again first")
        draft = session.get(Draft, entry.draft_id)
        paused = [
            p
            for p in pauses_mod.active_pauses(session, now)
            if pauses_mod.covers(p, entry.channel_id, draft.campaign_id, now)
        ]
        if paused and not confirm_during_pause:
            scope = pauses_mod.scope_of(session, paused[0]).text()
            raise PauseConfirmationRequired(
                f"{scope} is paused ({paused[0].reason}): confirm that this post was published during the pause"
            )
        when = published_at or now
        if when < entry.scheduled_at - EARLY_GRACE and not confirm_early:
            raise EarlyPublishConfirmationRequired(
                f"'{draft.title}' is due {wording.when(entry.scheduled_at)}, later than its publication "
                f"time {wording.when(when)}: confirm that it really went out early"
            )
        entry.status = "published"
        entry.published_url = url
        entry.platform_post_id = (platform_post_id or "").strip() or None
        entry.published_at = published_at or now
        entry.published_during_pause = bool(paused)
        entry.updated_at = now
        move_draft(session, actor, draft, "publish")
        note = " during a pause (confirmed)" if paused else ""
        note += " before its due time (confirmed)" if when < entry.scheduled_at - EARLY_GRACE else ""
        audit.record(session, actor, "schedule.publish", "schedule_entry", entry.id, f"{draft.title}: {url}{note}")
    return entry


def busy_times(
    session: Session, channel_ids: Iterable[int], start: datetime, end: datetime, exclude: Sequence[int] = ()
) -> dict[int, list[datetime]]:
    """Return the times already taken (planned or published) per channel, a day either side of [start, end)."""
    ids = list(channel_ids)
    stmt = select(ScheduleEntry.channel_id, ScheduleEntry.scheduled_at).where(
        ScheduleEntry.channel_id.in_(ids),
        ScheduleEntry.status.in_(HOLDING),
        ScheduleEntry.scheduled_at >= start - timedelta(days=1),
        ScheduleEntry.scheduled_at < end + timedelta(days=1),
    )
    if exclude:
        stmt = stmt.where(ScheduleEntry.id.not_in(list(exclude)))
    out: dict[int, list[datetime]] = {i: [] for i in ids}
    for cid, at in session.execute(stmt):
        out[cid].append(at)
    return out


def free_slots(session: Session, cadence: Cadence, candidates: Sequence[datetime]) -> list[datetime]:
    """Return the candidate slots that keep the channel's cadence with the posts already there."""
    if not candidates:
        return []
    busy = busy_times(session, [cadence.channel_id], min(candidates), max(candidates))[cadence.channel_id]
    gap = timedelta(minutes=cadence.min_gap_minutes)
    per_day = Counter(cadence.local_day(b) for b in busy)
    return [
        t
        for t in candidates
        if per_day[cadence.local_day(t)] < cadence.posts_per_day and all(abs(t - b) >= gap and t != b for b in busy)
    ]


ENTRY_COLUMNS = [
    "id",
    "draft_id",
    "title",
    "campaign_id",
    "campaign",
    "channel_id",
    "channel",
    "at",
    "status",
    "paused",
    "pause_reason",
    "text",
    "trend",
    "published_url",
    "published_at",
    "time_zone",
    "why",
]


def entries_frame(
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    campaign_id: int | None = None,
    channel_id: int | None = None,
    include_cancelled: bool = True,
) -> pd.DataFrame:
    """Return schedule entries in [start, end) by time: one row per entry with its draft, channel and state.

    `status` is "paused" for a planned post inside a pause (`paused` says so for every status); `time_zone` is
    the channel's zone for display; `at` stays UTC.
    """
    stmt = (
        select(ScheduleEntry, Draft.title, Draft.campaign_id, Campaign.name, Channel, DraftVariant.text, Trend.key)
        .join(Draft, Draft.id == ScheduleEntry.draft_id)
        .join(Campaign, Campaign.id == Draft.campaign_id)
        .join(Channel, Channel.id == ScheduleEntry.channel_id)
        .join(DraftVariant, DraftVariant.id == ScheduleEntry.variant_id)
        .outerjoin(Trend, Trend.id == ScheduleEntry.trend_id)
        .order_by(ScheduleEntry.scheduled_at, ScheduleEntry.id)
    )
    if start is not None:
        stmt = stmt.where(ScheduleEntry.scheduled_at >= start)
    if end is not None:
        stmt = stmt.where(ScheduleEntry.scheduled_at < end)
    if campaign_id is not None:
        stmt = stmt.where(Draft.campaign_id == int(campaign_id))
    if channel_id is not None:
        stmt = stmt.where(ScheduleEntry.channel_id == int(channel_id))
    if not include_cancelled:
        stmt = stmt.where(ScheduleEntry.status != "cancelled")
    pauses = pauses_mod.all_pauses(session)
    zones = {cid: c.time_zone for cid, c in all_cadences(session).items()}
    rows = []
    for e, title, camp_id, camp_name, ch, text, trend_key in session.execute(stmt).all():
        covering = next((p for p in pauses if pauses_mod.covers(p, e.channel_id, camp_id, e.scheduled_at)), None)
        status = "paused" if covering is not None and e.status == "planned" else e.status
        rows.append(
            {
                "id": e.id,
                "draft_id": e.draft_id,
                "title": title,
                "campaign_id": camp_id,
                "campaign": camp_name,
                "channel_id": e.channel_id,
                "channel": channels.label(ch),
                "at": e.scheduled_at,
                "status": status,
                "paused": covering is not None,
                "pause_reason": covering.reason if covering is not None else "",
                "text": text,
                "trend": trend_key or "",
                "published_url": e.published_url or "",
                "published_at": e.published_at,
                "time_zone": zones.get(e.channel_id, "UTC"),
                "why": e.why,
            }
        )
    frame = pd.DataFrame(rows, columns=ENTRY_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


VARIANT_COLUMNS = ["variant_id", "draft_id", "title", "campaign_id", "campaign", "channel_id", "channel", "time_zone"]
VARIANT_COLUMNS.append("trend_ids")


def schedulable_variants(session: Session) -> pd.DataFrame:
    """Return the channel variants of approved drafts that have nothing planned or published yet.

    Columns: variant_id, draft_id, title, campaign_id, campaign, channel_id, channel, time_zone, trend_ids.
    """
    taken = set(session.scalars(select(ScheduleEntry.variant_id).where(ScheduleEntry.status.in_(HOLDING))))
    zones = {cid: c.time_zone for cid, c in all_cadences(session).items()}
    rows = []
    stmt = select(Draft).where(Draft.status.in_(SCHEDULABLE_DRAFT_STATES)).order_by(Draft.id)
    drafts = list(session.scalars(stmt))
    reasons = reasons_not_schedulable(session, drafts)
    answers = answered_trends(session, drafts, statuses=None)
    for draft in drafts:
        if reasons[draft.id]:
            continue
        camp = session.get(Campaign, draft.campaign_id)
        trend_ids = [t.id for t in answers[draft.id]]
        for v in draft.variants:
            ch = session.get(Channel, v.channel_id)
            if v.id in taken or not ch.active:
                continue
            rows.append(
                {
                    "variant_id": v.id,
                    "draft_id": draft.id,
                    "title": draft.title,
                    "campaign_id": camp.id,
                    "campaign": camp.name,
                    "channel_id": ch.id,
                    "channel": channels.label(ch),
                    "time_zone": zones.get(ch.id, "UTC"),
                    "trend_ids": trend_ids,
                }
            )
    cols = [
        "variant_id",
        "draft_id",
        "title",
        "campaign_id",
        "campaign",
        "channel_id",
        "channel",
        "time_zone",
        "trend_ids",
    ]
    return pd.DataFrame(rows, columns=cols)


def variants_of(session: Session, entry_ids: Sequence[int]) -> list[int]:
    """Return the channel variant ids of the given entries (e.g. to reschedule what a pause made miss)."""
    ids = [int(i) for i in entry_ids]
    return list(session.scalars(select(ScheduleEntry.variant_id).where(ScheduleEntry.id.in_(ids)).distinct()))
