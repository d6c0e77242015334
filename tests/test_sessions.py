"""Browser sessions: one-time tickets, cookie tokens stored as hashes, idle expiry, revocation, the signed cookie."""

from __future__ import annotations

import hashlib
import stat
from datetime import timedelta

import pytest
from sqlalchemy import select

from planner import auth, sessions
from planner.config import load_settings
from planner.models import AuditEntry, UserSession, utcnow

IDLE = timedelta(hours=8)


@pytest.fixture
def dora(session, drafter):
    return auth.get_user(session, "dora")


def _actions(session):
    return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_ticket_is_redeemed_once_for_a_token_and_only_hashes_are_stored(session, dora):
    session_id, ticket = sessions.start(session, dora, client_ip="192.0.2.4", user_agent="Chromium")
    token = sessions.redeem_ticket(session, ticket)
    row = session.get(UserSession, session_id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.ticket_hash is None
    assert token not in (row.token_hash, row.ticket_hash) and row.client_ip == "192.0.2.4"
    with pytest.raises(sessions.InvalidSession, match="used or expired"):
        sessions.redeem_ticket(session, ticket)
    actor, resumed = sessions.resume(session, token, IDLE)
    assert (actor.username, resumed) == ("dora", session_id)
    assert "session.start" in _actions(session)


def test_ticket_expires(session, dora):
    _, ticket = sessions.start(session, dora)
    with pytest.raises(sessions.InvalidSession):
        sessions.redeem_ticket(session, ticket, now=utcnow() + sessions.TICKET_LIFETIME + timedelta(seconds=1))


def test_unknown_token_is_refused(session, dora):
    with pytest.raises(sessions.InvalidSession):
        sessions.resume(session, "made-up", IDLE)


def test_idle_session_expires_and_use_keeps_it_alive(session, dora):
    session_id, ticket = sessions.start(session, dora)
    token = sessions.redeem_ticket(session, ticket)
    start = session.get(UserSession, session_id).last_seen_at
    # Used after 7 hours: still open, and the idle clock restarts.
    sessions.resume(session, token, IDLE, now=start + timedelta(hours=7))
    sessions.resume(session, token, IDLE, now=start + timedelta(hours=14))
    with pytest.raises(sessions.InvalidSession, match="inactivity"):
        sessions.resume(session, token, IDLE, now=start + timedelta(hours=22, minutes=1))
    row = session.get(UserSession, session_id)
    assert row.end_reason == "idle" and row.token_hash is None
    assert _actions(session).count("session.end") == 1


def test_logout_revokes_the_token(session, dora, drafter, admin):
    session_id, ticket = sessions.start(session, dora)
    token = sessions.redeem_ticket(session, ticket)
    with pytest.raises(sessions.InvalidSession, match="own user"):
        sessions.end(session, admin, session_id)
    sessions.end(session, drafter, session_id)
    with pytest.raises(sessions.InvalidSession):
        sessions.resume(session, token, IDLE)
    assert not sessions.still_valid(session, session_id, IDLE)


def test_deactivated_user_cannot_resume(session, dora, admin):
    session_id, ticket = sessions.start(session, dora)
    token = sessions.redeem_ticket(session, ticket)
    dora.active = False  # deactivated behind the core's back (the core also ends sessions itself)
    session.commit()
    with pytest.raises(sessions.InvalidSession):
        sessions.resume(session, token, IDLE)
    assert session.get(UserSession, session_id).end_reason == "deactivated"


def test_end_others_keeps_the_current_one(session, dora, drafter):
    keep, _ = sessions.start(session, dora)
    sessions.start(session, dora)
    sessions.start(session, dora)
    assert sessions.end_others(session, drafter, keep) == 2
    assert [s.id for s in sessions.open_sessions(session, dora.id)] == [keep]


def test_end_by_token(session, dora):
    session_id, ticket = sessions.start(session, dora)
    token = sessions.redeem_ticket(session, ticket)
    sessions.end_by_token(session, token)
    assert session.get(UserSession, session_id).end_reason == "logout"


def test_cookie_is_signed_with_a_private_secret(tmp_path):
    secret = sessions.load_secret(tmp_path)
    assert sessions.load_secret(tmp_path) == secret and len(secret) == 64
    assert stat.S_IMODE((tmp_path / sessions.SECRET_FILENAME).stat().st_mode) == 0o600
    value = sessions.sign("tok3n", secret)
    assert value != "tok3n" and sessions.unsign(value, secret) == "tok3n"
    # Tamper with the signature's second-last character: every bit of it counts (the last one holds padding bits).
    tampered = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    assert sessions.unsign(tampered, secret) is None
    assert sessions.unsign("tok3n", secret) is None
    assert sessions.unsign(value, b"another secret") is None


def test_idle_minutes_setting():
    assert load_settings({}).session_idle_minutes == 480
    assert load_settings({"PLANNER_SESSION_IDLE_MINUTES": "30"}).session_idle_minutes == 30
    assert load_settings({"PLANNER_SESSION_IDLE_MINUTES": "soon"}).session_idle_minutes == 480
    assert load_settings({"PLANNER_COOKIE_SECURE": "1"}).cookie_secure is True
    assert load_settings({}).cookie_secure is False
