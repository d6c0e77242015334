"""Accounts and roles: hashing, the role x action table, user management, login throttling, audit entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from planner import auth, sessions
from planner.auth import Action, Role
from planner.models import AuditEntry, LoginThrottle, User
from tests.conftest import PASSWORD


def _actions(session):
    return [(e.action, e.actor_name) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_password_hash_is_argon2_and_verifies():
    h = auth.hash_password("a long secret phrase")
    assert h.startswith("$argon2id$")
    assert auth.verify_password(h, "a long secret phrase")
    assert not auth.verify_password(h, "a long secret phrasE")
    assert not auth.verify_password("not-a-hash", "x")


# The whole role x action table, spelled out so a change to it is a deliberate change to this test.
EXPECTED = {
    Role.VIEWER: {Action.VIEW, Action.EXPORT_BRIEFS},
    Role.DRAFTER: {
        Action.VIEW,
        Action.EXPORT_BRIEFS,
        Action.IMPORT_POSTS,
        Action.RUN_DETECTION,
        Action.TRIAGE_TRENDS,
        Action.EDIT_WATCHLISTS,
        Action.EDIT_CAMPAIGNS,
        Action.EDIT_DRAFTS,
        Action.COMMENT,
        Action.RECORD_METRICS,
    },
}
EXPECTED[Role.REVIEWER] = EXPECTED[Role.DRAFTER] | {
    Action.REVIEW_DRAFTS,
    Action.SCHEDULE,
    Action.PAUSE,
    Action.UNDO_IMPORT,
    Action.EDIT_CHANNELS,
}
EXPECTED[Role.ADMIN] = EXPECTED[Role.REVIEWER] | {Action.MANAGE_USERS, Action.VIEW_AUDIT, Action.LOAD_DEMO}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_role_action_table(role, action):
    actor = auth.Actor(1, "someone", role)
    assert auth.can(actor, action) is (action in EXPECTED[role])
    if action in EXPECTED[role]:
        auth.require(actor, action)
    else:
        with pytest.raises(auth.PermissionDenied, match=action.value):
            auth.require(actor, action)


def test_unknown_role_and_nobody_may_do_nothing():
    assert not auth.can(None, Action.VIEW)
    assert not auth.can(auth.Actor(1, "x", "superuser"), Action.VIEW)


def test_first_admin_only_once(session):
    assert auth.needs_setup(session)
    user = auth.create_first_admin(session, " Ada ", PASSWORD, "Ada L.")
    assert user.username == "ada" and user.role == "admin"
    assert not auth.needs_setup(session)
    with pytest.raises(auth.SetupDone):
        auth.create_first_admin(session, "eve", PASSWORD)
    assert _actions(session) == [("user.create", "ada")]


@pytest.mark.parametrize(
    ("username", "password", "role", "field"),
    [
        ("x", PASSWORD, "viewer", "username"),
        ("has space", PASSWORD, "viewer", "username"),
        ("bob", "short", "viewer", "password"),
        ("bob", "aaaaaaaaaaaa", "viewer", "password"),
        ("bob", PASSWORD, "owner", "role"),
    ],
)
def test_create_user_validation_names_the_field(session, admin, username, password, role, field):
    with pytest.raises(auth.UserError, match=f"^{field}:"):
        auth.create_user(session, admin, username, password, role)
    assert session.scalar(select(User).where(User.username == username)) is None


def test_duplicate_username_refused(session, admin):
    with pytest.raises(auth.UserError, match="taken"):
        auth.create_user(session, admin, "ADA", PASSWORD, "viewer")


def test_only_admins_manage_users(session, reviewer):
    with pytest.raises(auth.PermissionDenied):
        auth.create_user(session, reviewer, "newbie", PASSWORD, "viewer")
    with pytest.raises(auth.PermissionDenied):
        auth.set_role(session, reviewer, "rhea", "admin")


def test_set_role_and_deactivate_are_audited(session, admin, drafter):
    auth.set_role(session, admin, "dora", "reviewer")
    auth.set_active(session, admin, "dora", False)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "user")).all()
    summaries = [(e.action, e.summary) for e in entries if e.actor_name == "ada"]
    assert summaries == [("user.set_role", "dora: role drafter -> reviewer"), ("user.deactivate", "dora deactivated")]
    with pytest.raises(auth.AuthError):
        auth.authenticate(session, "dora", PASSWORD)


def test_last_admin_cannot_be_demoted_or_deactivated(session, admin):
    with pytest.raises(auth.UserError, match="last active admin"):
        auth.set_role(session, admin, "ada", "viewer")
    with pytest.raises(auth.UserError, match="last active admin"):
        auth.set_active(session, admin, "ada", False)
    assert session.scalar(select(User.role).where(User.username == "ada")) == "admin"


def test_login_success_and_generic_failure(session, admin):
    user = auth.authenticate(session, "ADA", PASSWORD)
    assert user.username == "ada" and user.last_login_at is not None
    with pytest.raises(auth.AuthError) as wrong_password:
        auth.authenticate(session, "ada", "wrong password!")
    with pytest.raises(auth.AuthError) as unknown_user:
        auth.authenticate(session, "nobody", "wrong password!")
    assert str(wrong_password.value) == str(unknown_user.value) == auth.LOGIN_FAILED_MESSAGE


def _fail(session, username, client, times=1):
    for _ in range(times):
        with pytest.raises(auth.AuthError, match="Wrong username"):
            auth.authenticate(session, username, "not the password", client)


def test_delays_double_from_the_third_failure_and_are_capped():
    assert [auth.delay_after(n, 3).total_seconds() for n in range(1, 7)] == [0, 0, 2, 4, 8, 16]
    assert auth.delay_after(60, 3) == auth.MAX_DELAY


@pytest.mark.parametrize("username", ["ada", "ghost"])
def test_failures_make_that_username_and_client_wait_longer_each_time(session, admin, username, monkeypatch):
    _fail(session, username, "203.0.113.9", auth.FREE_PAIR_FAILURES)
    with pytest.raises(auth.LoginThrottled, match="Wait 2 s") as waited:
        auth.authenticate(session, username, PASSWORD, "203.0.113.9")  # even the right password waits
    assert waited.value.wait_seconds == 2
    assert ("login.throttled", username) in _actions(session)
    row = session.get(LoginThrottle, f"pair:{username}|203.0.113.9")
    later = row.blocked_until + timedelta(seconds=1)
    monkeypatch.setattr(auth, "utcnow", lambda: later)
    _fail(session, username, "203.0.113.9")  # the 4th failure: 4 s now
    with pytest.raises(auth.LoginThrottled, match="Wait 4 s"):
        auth.authenticate(session, username, PASSWORD, "203.0.113.9")
    row = session.get(LoginThrottle, f"pair:{username}|203.0.113.9")
    assert row.failures == 4 and row.blocked_until == later + timedelta(seconds=4)
    monkeypatch.setattr(auth, "utcnow", lambda: later + timedelta(seconds=5))
    if username == "ada":
        assert auth.authenticate(session, "ada", PASSWORD, "203.0.113.9").username == "ada"
        assert session.get(LoginThrottle, "pair:ada|203.0.113.9").failures == 0
    else:
        _fail(session, username, "203.0.113.9")


def test_an_attacker_elsewhere_cannot_hold_an_admin_out(session, admin):
    _fail(session, "ada", "198.51.100.7", auth.FREE_PAIR_FAILURES)
    for _ in range(5):  # the attacker keeps trying while throttled: each try is refused
        with pytest.raises(auth.LoginThrottled):
            auth.authenticate(session, "ada", PASSWORD, "198.51.100.7")
    # The admin's own client is not delayed.
    assert auth.authenticate(session, "ada", PASSWORD, "192.0.2.10").username == "ada"


def test_one_client_spraying_many_usernames_is_delayed(session, admin):
    for i in range(auth.FREE_CLIENT_FAILURES):
        _fail(session, f"guess{i}", "198.51.100.8")
    with pytest.raises(auth.LoginThrottled):
        auth.authenticate(session, "ada", PASSWORD, "198.51.100.8")
    assert session.get(LoginThrottle, "client:198.51.100.8").failures == auth.FREE_CLIENT_FAILURES


def test_old_failures_are_forgotten(session, admin, monkeypatch):
    _fail(session, "ada", "198.51.100.9", 2)
    later = auth.utcnow() + auth.FORGET_AFTER + timedelta(minutes=1)
    monkeypatch.setattr(auth, "utcnow", lambda: later)
    _fail(session, "ada", "198.51.100.9")  # counted as the first, so no delay
    assert auth.authenticate(session, "ada", PASSWORD, "198.51.100.9").username == "ada"
    # Stale counters of other usernames and clients are deleted by the next failure.
    _fail(session, "zed", "198.51.100.10")
    monkeypatch.setattr(auth, "utcnow", lambda: later + auth.FORGET_AFTER + timedelta(minutes=1))
    _fail(session, "ada", "198.51.100.11")
    assert session.get(LoginThrottle, "pair:zed|198.51.100.10") is None
    assert session.get(LoginThrottle, "pair:ada|198.51.100.11").failures == 1


def test_change_own_password_needs_old_one(session, drafter):
    with pytest.raises(auth.UserError, match="current password"):
        auth.change_password(session, drafter, "dora", "a brand new passphrase", old_password="nope")
    auth.change_password(session, drafter, "dora", "a brand new passphrase", old_password=PASSWORD)
    assert auth.authenticate(session, "dora", "a brand new passphrase").username == "dora"


def test_password_change_is_audited_and_ends_other_sessions(session, drafter, admin):
    user = auth.get_user(session, "dora")
    here, _ = sessions.start(session, user)
    elsewhere, _ = sessions.start(session, user)
    with pytest.raises(auth.UserError, match="same as the current"):
        auth.change_password(session, drafter, "dora", PASSWORD, old_password=PASSWORD, keep_session=here)
    auth.change_password(session, drafter, "dora", "a brand new passphrase", old_password=PASSWORD, keep_session=here)
    assert [s.id for s in sessions.open_sessions(session, user.id)] == [here]
    assert ("user.password_change", "dora") in _actions(session)
    assert not auth.verify_password(user.password_hash, PASSWORD)
    # An admin reset ends every session of that user.
    auth.change_password(session, admin, "dora", "another passphrase 2")
    assert sessions.open_sessions(session, user.id) == []
    assert elsewhere != here


def test_deactivation_ends_the_users_sessions(session, admin, drafter):
    user = auth.get_user(session, "dora")
    sessions.start(session, user)
    auth.set_active(session, admin, "dora", False)
    assert sessions.open_sessions(session, user.id) == []
    assert ("session.end", "ada") in _actions(session)


def test_reset_other_password_needs_admin(session, drafter, viewer, admin):
    with pytest.raises(auth.PermissionDenied):
        auth.change_password(session, viewer, "dora", "another passphrase 1")
    auth.change_password(session, admin, "dora", "another passphrase 1")
    assert auth.authenticate(session, "dora", "another passphrase 1")


def test_load_actor_drops_deactivated(session, admin, drafter):
    assert auth.load_actor(session, drafter.user_id) == drafter
    auth.set_active(session, admin, "dora", False)
    assert auth.load_actor(session, drafter.user_id) is None


def test_time_zone(session, drafter):
    assert auth.time_zone_of(session, drafter.user_id).key == "UTC"
    auth.set_time_zone(session, drafter, "Europe/Berlin")
    assert auth.time_zone_of(session, drafter.user_id).key == "Europe/Berlin"
    with pytest.raises(auth.UserError, match="time zone"):
        auth.set_time_zone(session, drafter, "Mars/Olympus")
