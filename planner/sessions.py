"""Browser sessions: a one-time ticket after login, a signed cookie token, idle expiry and server-side revocation.

The database keeps only SHA-256 hashes of tickets and tokens, so a copy of it opens no session. The cookie carries the
random token signed with a secret kept in the data folder (itsdangerous), so a tampered cookie is refused unread.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from itsdangerous import BadSignature, Signer
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import User, UserSession, utcnow

COOKIE_NAME = "counterpoint_session"
TICKET_LIFETIME = timedelta(minutes=2)
# last_seen_at is written at most this often, so page clicks do not each write to the database.
TOUCH_EVERY = timedelta(minutes=1)
SECRET_FILENAME = "session_secret"
_SALT = "counterpoint.session-cookie"


class InvalidSession(PlannerError):
    """A ticket or cookie that is unknown, used, expired, revoked, or belongs to a deactivated user."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _actor(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=user.role)


def _ending(row: UserSession) -> str:
    return f"session {row.id} of {row.user.username if row.user else row.user_id}"


def start(
    session: Session, user: User, *, client_ip: str = "", user_agent: str = "", via: str = "password"
) -> tuple[int, str]:
    """Open a session for a user who just proved who they are; return (session id, one-time ticket).

    The ticket, exchanged at /session/start within TICKET_LIFETIME, becomes the browser's cookie token.
    """
    ticket = secrets.token_urlsafe(32)
    with atomic(session):
        row = UserSession(
            user_id=user.id,
            ticket_hash=_digest(ticket),
            ticket_expires_at=utcnow() + TICKET_LIFETIME,
            via=via,
            client_ip=(client_ip or "")[:64],
            user_agent=(user_agent or "")[:200],
        )
        session.add(row)
        session.flush()
        where = f" from {row.client_ip}" if row.client_ip else ""
        audit.record(
            session, _actor(user), "session.start", "user", user.id, f"{user.username}: session {row.id} ({via}){where}"
        )
    return row.id, ticket


def redeem_ticket(session: Session, ticket: str, now: datetime | None = None) -> str:
    """Exchange a fresh, unused ticket for the session's cookie token (once); raise InvalidSession otherwise."""
    now = now or utcnow()
    with atomic(session):
        row = session.scalar(select(UserSession).where(UserSession.ticket_hash == _digest(ticket or "")))
        if row is None or row.ended_at is not None or row.ticket_expires_at is None or row.ticket_expires_at < now:
            raise InvalidSession("this sign-in link is unknown, used or expired: log in again")
        if not row.user.active:
            raise InvalidSession("this account is deactivated")
        token = secrets.token_urlsafe(32)
        row.ticket_hash = None
        row.ticket_expires_at = None
        row.token_hash = _digest(token)
        row.last_seen_at = now
    return token


def _expire_if_idle(session: Session, row: UserSession, idle: timedelta, now: datetime) -> bool:
    """End `row` when it is idle or its user is deactivated; return True when it is still usable."""
    reason = ""
    if not row.user.active:
        reason = "deactivated"
    elif row.last_seen_at + idle < now:
        reason = "idle"
    if reason:
        _end(session, _actor(row.user), row, reason, now)
        return False
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return True


def resume(session: Session, token: str, idle: timedelta, now: datetime | None = None) -> tuple[Actor, int]:
    """Return (actor, session id) for a cookie token still in use; raise InvalidSession otherwise."""
    now = now or utcnow()
    with atomic(session):
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token or "")))
        if row is None or row.ended_at is not None:
            raise InvalidSession("this session has ended: log in again")
        if not _expire_if_idle(session, row, idle, now):
            ended = "expired after inactivity" if row.end_reason == "idle" else "ended"
            result: tuple[Actor, int] | None = None
        else:
            result = (_actor(row.user), row.id)
            ended = ""
    if result is None:
        raise InvalidSession(f"this session {ended}: log in again")
    return result


def still_valid(session: Session, session_id: int, idle: timedelta, now: datetime | None = None) -> bool:
    """Return True while session `session_id` is open (not ended, not idle, user active); touch it."""
    now = now or utcnow()
    with atomic(session):
        row = session.get(UserSession, session_id)
        if row is None or row.ended_at is not None:
            return False
        return _expire_if_idle(session, row, idle, now)


def _end(session: Session, actor: Actor, row: UserSession, reason: str, now: datetime) -> None:
    row.ended_at = now
    row.end_reason = reason
    row.token_hash = None
    row.ticket_hash = None
    audit.record(session, actor, "session.end", "user", row.user_id, f"{_ending(row)} ended: {reason}")


def end(session: Session, actor: Actor, session_id: int, reason: str = "logout") -> None:
    """End one of the actor's own sessions (logout); the cookie stops working at once."""
    with atomic(session):
        row = session.get(UserSession, session_id)
        if row is None or row.ended_at is not None:
            return
        if row.user_id != actor.user_id:
            raise InvalidSession("a session can only be ended by its own user")
        _end(session, actor, row, reason, utcnow())


def end_by_token(session: Session, token: str, reason: str = "logout") -> None:
    """End the session a cookie token belongs to, if it is still open (the /session/end route)."""
    with atomic(session):
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token or "")))
        if row is not None and row.ended_at is None:
            _end(session, _actor(row.user), row, reason, utcnow())


def end_all(session: Session, actor: Actor, user_id: int, reason: str, keep: int | None = None) -> int:
    """End every open session of a user except `keep`, inside the caller's transaction; return how many ended."""
    rows = session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).all()
    now = utcnow()
    ended = 0
    for row in rows:
        if row.id != keep:
            _end(session, actor, row, reason, now)
            ended += 1
    return ended


def open_sessions(session: Session, user_id: int) -> list[UserSession]:
    """Return a user's open sessions, most recently used first."""
    return list(
        session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .order_by(UserSession.last_seen_at.desc())
        )
    )


def end_others(session: Session, actor: Actor, keep: int | None) -> int:
    """End all the actor's sessions but the current one ('sign out everywhere else'); return how many ended."""
    with atomic(session):
        return end_all(session, actor, actor.user_id, "signed out elsewhere", keep=keep)


# ---- the signed cookie ---------------------------------------------------------------------------------------------


def load_secret(data_dir: Path) -> bytes:
    """Return the cookie-signing secret kept in the data folder, creating it (mode 0600) on first use."""
    path = Path(data_dir) / SECRET_FILENAME
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret)
    return secret


def sign(token: str, secret: bytes) -> str:
    """Return the cookie value for a session token."""
    return Signer(secret, salt=_SALT).sign(token).decode()


def unsign(value: str, secret: bytes) -> str | None:
    """Return the session token in a cookie value, or None when the signature does not match."""
    try:
        return Signer(secret, salt=_SALT).unsign(value or "").decode()
    except BadSignature:
        return None
