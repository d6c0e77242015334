"""Crisis pauses over everything, one channel or one campaign: start, resume, what they cover and what was missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import audit, campaigns, channels
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import Channel, Draft, ScheduleEntry, SchedulePause, utcnow
from planner.schedule import ScheduleError
from planner.wording import plural


@dataclass(frozen=True)
class Scope:
    """What a pause covers: kind "all", "channel" (channel_id) or "campaign" (campaign_id), and its display name."""

    kind: str
    channel_id: int | None = None
    campaign_id: int | None = None
    label: str = "everything"

    def text(self) -> str:
        """Return the scope as the CLI writes it (all, channel:HANDLE, campaign:NAME)."""
        return "all" if self.kind == "all" else f"{self.kind}:{self.label}"

    def covers(self, channel_id: int, campaign_id: int) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "channel":
            return self.channel_id == channel_id
        return self.campaign_id == campaign_id


def find_channel(session: Session, name: str) -> Channel:
    """Return the channel named by id, handle, "platform:handle" or label; raise ScheduleError if none."""
    name = name.strip()
    if name.isdigit():
        found = session.get(Channel, int(name))
        if found is not None:
            return found
    for ch in channels.list_channels(session, active_only=False):
        if name.lower() in {ch.handle.lower(), channels.label(ch).lower(), f"{ch.platform}:{ch.handle}".lower()}:
            return ch
    raise ScheduleError(f"scope: no channel called {name!r} (use its handle, e.g. channel:@ValleyVoicesNet)")


def parse_scope(session: Session, text: str) -> Scope:
    """Return the Scope for "all", "channel:NAME" or "campaign:NAME_OR_ID"; raise ScheduleError otherwise."""
    text = (text or "").strip()
    if text.lower() == "all":
        return Scope("all")
    kind, _, name = text.partition(":")
    kind = kind.strip().lower()
    if kind == "channel" and name.strip():
        ch = find_channel(session, name)
        return Scope("channel", channel_id=ch.id, label=ch.handle)
    if kind == "campaign" and name.strip():
        try:
            camp = campaigns.get_campaign(session, name.strip())
        except PlannerError as exc:
            raise ScheduleError(f"scope: {exc}") from exc
        return Scope("campaign", campaign_id=camp.id, label=camp.name)
    raise ScheduleError(f"scope: {text!r} is not all, channel:NAME or campaign:NAME_OR_ID")


def scope_of(session: Session, pause: SchedulePause) -> Scope:
    """Return the Scope a stored pause covers."""
    if pause.scope == "channel":
        ch = session.get(Channel, pause.channel_id)
        return Scope("channel", channel_id=pause.channel_id, label=ch.handle if ch else str(pause.channel_id))
    if pause.scope == "campaign":
        camp = campaigns.get_campaign(session, pause.campaign_id)
        return Scope("campaign", campaign_id=pause.campaign_id, label=camp.name)
    return Scope("all")


def effective_end(pause: SchedulePause) -> datetime | None:
    """Return when the pause stops covering posts: its end or its resume, whichever came first (None: open)."""
    ends = [t for t in (pause.ends_at, pause.resumed_at) if t is not None]
    return min(ends) if ends else None


def is_active(pause: SchedulePause, now: datetime) -> bool:
    """Return True when the pause is in force at `now`."""
    end = effective_end(pause)
    return pause.starts_at <= now and (end is None or now < end)


def covers(pause: SchedulePause, channel_id: int, campaign_id: int, at: datetime) -> bool:
    """Return True when a post on `channel_id` for `campaign_id` at `at` falls inside the pause."""
    end = effective_end(pause)
    if at < pause.starts_at or (end is not None and at >= end):
        return False
    if pause.scope == "channel":
        return pause.channel_id == channel_id
    if pause.scope == "campaign":
        return pause.campaign_id == campaign_id
    return True


def current_pauses(session: Session) -> list[SchedulePause]:
    """Return the pauses not resumed by hand (their intervals may still lie ahead, or have ended)."""
    stmt = select(SchedulePause).where(SchedulePause.resumed_at.is_(None)).order_by(SchedulePause.starts_at)
    return list(session.scalars(stmt))


def all_pauses(session: Session) -> list[SchedulePause]:
    """Return every pause, oldest first."""
    return list(session.scalars(select(SchedulePause).order_by(SchedulePause.starts_at, SchedulePause.id)))


def active_pauses(session: Session, now: datetime | None = None) -> list[SchedulePause]:
    """Return the pauses in force at `now`."""
    now = now or utcnow()
    return [p for p in current_pauses(session) if is_active(p, now)]


def _matching(session: Session, scope: Scope, now: datetime) -> list[SchedulePause]:
    out = []
    for p in active_pauses(session, now):
        if p.scope == scope.kind and p.channel_id == scope.channel_id and p.campaign_id == scope.campaign_id:
            out.append(p)
    return out


def pause(
    session: Session,
    actor: Actor,
    scope: str | Scope,
    reason: str,
    *,
    ends_at: datetime | None = None,
    starts_at: datetime | None = None,
    now: datetime | None = None,
) -> SchedulePause:
    """Pause scheduled posts in `scope` from `starts_at` (default now) until `ends_at` or a resume.

    Raises ScheduleError (no reason, bad scope or end, already paused) or PermissionDenied.
    """
    require(actor, Action.PAUSE)
    now = now or utcnow()
    if not (reason or "").strip():
        raise ScheduleError("reason: say why posting stops (it is shown to everyone and kept in the audit log)")
    sc = parse_scope(session, scope) if isinstance(scope, str) else scope
    start = starts_at or now
    if ends_at is not None and ends_at <= start:
        raise ScheduleError("end: the pause must end after it starts")
    with atomic(session):
        if _matching(session, sc, start):
            raise ScheduleError(f"{sc.text()} is already paused: resume it first or wait for that pause to end")
        row = SchedulePause(
            scope=sc.kind,
            channel_id=sc.channel_id,
            campaign_id=sc.campaign_id,
            reason=reason.strip(),
            starts_at=start,
            ends_at=ends_at,
            created_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        until = f" until {ends_at:%Y-%m-%d %H:%M} UTC" if ends_at else " until resumed"
        audit.record(session, actor, "schedule.pause", "pause", row.id, f"paused {sc.text()}{until}: {reason.strip()}")
    return row


def _entries_in(session: Session, pause_row: SchedulePause, start: datetime, end: datetime | None):
    stmt = (
        select(ScheduleEntry, Draft.campaign_id)
        .join(Draft, Draft.id == ScheduleEntry.draft_id)
        .where(ScheduleEntry.scheduled_at >= start)
        .order_by(ScheduleEntry.scheduled_at, ScheduleEntry.id)
    )
    if end is not None:
        stmt = stmt.where(ScheduleEntry.scheduled_at < end)
    return [e for e, camp in session.execute(stmt).all() if covers(pause_row, e.channel_id, camp, e.scheduled_at)]


def missed_entries(session: Session, pause_row: SchedulePause, now: datetime | None = None) -> list[ScheduleEntry]:
    """Return the entries whose time fell inside the pause before `now` and that did not go out."""
    now = now or utcnow()
    end = effective_end(pause_row)
    until = now if end is None else min(end, now)
    return [e for e in _entries_in(session, pause_row, pause_row.starts_at, until) if e.status in ("planned", "missed")]


@dataclass
class Resumed:
    pauses: list[SchedulePause]
    missed: list[ScheduleEntry]


def resume(session: Session, actor: Actor, scope: str | Scope, *, now: datetime | None = None) -> Resumed:
    """End the active pauses of exactly `scope`; mark the posts whose time passed during them as missed.

    Returns the pauses ended and the missed entries (to reschedule). Raises ScheduleError when nothing in that
    scope is paused, or PermissionDenied.
    """
    require(actor, Action.PAUSE)
    now = now or utcnow()
    sc = parse_scope(session, scope) if isinstance(scope, str) else scope
    with atomic(session):
        found = _matching(session, sc, now)
        if not found:
            raise ScheduleError(f"{sc.text()} is not paused now: nothing to resume")
        missed: dict[int, ScheduleEntry] = {}
        for p in found:
            p.resumed_at = now
            p.resumed_by = actor.user_id
            for e in missed_entries(session, p, now):
                e.status = "missed"
                e.updated_at = now
                missed[e.id] = e
        ids = ", ".join(f"#{i}" for i in sorted(missed)) or "none"
        audit.record(
            session,
            actor,
            "schedule.resume",
            "pause",
            ",".join(str(p.id) for p in found),
            f"resumed {sc.text()}; {plural(len(missed), 'post')} missed during the pause: {ids}",
        )
    return Resumed(found, sorted(missed.values(), key=lambda e: (e.scheduled_at, e.id)))


def pauses_frame(session: Session, now: datetime | None = None) -> pd.DataFrame:
    """Return every pause, newest first: scope, reason, start, end, resumed, active, missed posts."""
    now = now or utcnow()
    rows = []
    for p in session.scalars(select(SchedulePause).order_by(SchedulePause.starts_at.desc(), SchedulePause.id.desc())):
        rows.append(
            {
                "id": p.id,
                "scope": scope_of(session, p).text(),
                "reason": p.reason,
                "starts_at": p.starts_at,
                "ends_at": p.ends_at,
                "resumed_at": p.resumed_at,
                "active": is_active(p, now),
                "missed": len(missed_entries(session, p, now)),
            }
        )
    cols = ["id", "scope", "reason", "starts_at", "ends_at", "resumed_at", "active", "missed"]
    return pd.DataFrame(rows, columns=cols)
