"""Private calendar subscription feeds: per-user revocable tokens (only their hash is stored) and the ICS they serve."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import Action, can, load_actor, require
from planner.db import atomic
from planner.models import CalendarToken, utcnow
from planner.schedule import FEED_PATH, ScheduleError
from planner.schedule.entries import entries_frame
from planner.schedule.exports import to_ics

# The feed shows this much of the past and the future.
FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=120)
MAX_TOKENS_PER_USER = 10


class InvalidToken(ScheduleError):
    """The calendar token is unknown, revoked, or its user may no longer see the workspace."""


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest stored for a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def feed_url(base_url: str, token: str) -> str:
    """Return the subscription URL for a token."""
    return base_url.rstrip("/") + FEED_PATH.format(token=token)


def create_token(session: Session, actor: Actor, label: str = "") -> tuple[CalendarToken, str]:
    """Create a calendar token for the acting user; return the row and the token (shown once, never stored).

    Raises ScheduleError (CLI has no user; too many tokens) or PermissionDenied.
    """
    require(actor, Action.VIEW)
    if actor.user_id is None:
        raise ScheduleError("calendar subscriptions belong to a user account: log in to the app to create one")
    with atomic(session):
        live = session.scalars(
            select(CalendarToken).where(CalendarToken.user_id == actor.user_id, CalendarToken.revoked_at.is_(None))
        ).all()
        if len(live) >= MAX_TOKENS_PER_USER:
            raise ScheduleError(f"you have {len(live)} active calendar links: revoke one first")
        token = secrets.token_urlsafe(32)
        row = CalendarToken(user_id=actor.user_id, token_hash=token_hash(token), label=(label or "").strip()[:120])
        session.add(row)
        session.flush()
        audit.record(session, actor, "calendar.token_create", "calendar_token", row.id, f"label {row.label!r}")
    return row, token


def revoke_token(session: Session, actor: Actor, token_id: int) -> CalendarToken:
    """Revoke one of the acting user's tokens (admins may revoke anyone's); raise ScheduleError if not found."""
    with atomic(session):
        row = session.get(CalendarToken, int(token_id))
        if row is None or (row.user_id != actor.user_id and not can(actor, Action.MANAGE_USERS)):
            raise ScheduleError(f"calendar link: no link with id {token_id} of yours")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(session, actor, "calendar.token_revoke", "calendar_token", row.id, f"label {row.label!r}")
    return row


def tokens_frame(session: Session, actor: Actor) -> pd.DataFrame:
    """Return the acting user's calendar links: id, label, created, last used, revoked."""
    rows = session.scalars(
        select(CalendarToken).where(CalendarToken.user_id == actor.user_id).order_by(CalendarToken.id.desc())
    ).all()
    cols = ["id", "label", "created_at", "last_used_at", "revoked_at"]
    return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)


def feed(session: Session, token: str, *, base_url: str, now: datetime | None = None) -> bytes:
    """Return the ICS feed for a token: the schedule from 30 days ago to 120 days ahead.

    Raises InvalidToken for an unknown or revoked token or a deactivated user.
    """
    now = now or utcnow()
    if not token or len(token) > 128:
        raise InvalidToken("unknown calendar link")
    row = session.scalar(select(CalendarToken).where(CalendarToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        raise InvalidToken("unknown or revoked calendar link")
    actor = load_actor(session, row.user_id)
    if actor is None or not can(actor, Action.VIEW):
        raise InvalidToken("this calendar link's user can no longer see the workspace")
    frame = entries_frame(session, now - FEED_PAST, now + FEED_FUTURE)
    with atomic(session):
        row.last_used_at = now
    return to_ics(frame, base_url=base_url, name="Counterpoint schedule")
