"""Accounts, roles and permissions: who may do what, password hashing, login throttled per username and client."""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from planner import audit, sessions
from planner.audit import Actor
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import LoginThrottle, User, utcnow

# Login throttling: from the FREE_PAIR_FAILURES-th failure in a row of a username from one client ("pair") on, that
# pair waits BASE_DELAY, doubling after each further failure up to MAX_DELAY. A client gets more free failures across
# all usernames (password spraying). Nobody elsewhere can make an admin wait: the admin's own client has its own pair.
FREE_PAIR_FAILURES = 3
FREE_CLIENT_FAILURES = 20
BASE_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=15)
# Failures older than this are forgotten.
FORGET_AFTER = timedelta(hours=1)
MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
LOGIN_FAILED_MESSAGE = "Wrong username or password."
THROTTLED_MESSAGE = "Too many failed attempts. Wait {seconds} s and try again."

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Return a hash verified against when the username is unknown, so both cases take the same time.

    Made on first use: hashing takes a third of a second, which every command would otherwise pay at start-up.
    """
    return _hasher.hash("counterpoint-timing-equaliser")


class Role(StrEnum):
    VIEWER = "viewer"
    DRAFTER = "drafter"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Action(StrEnum):
    VIEW = "workspace.view"
    MANAGE_USERS = "users.manage"
    VIEW_AUDIT = "audit.view"
    LOAD_DEMO = "demo.load"
    IMPORT_POSTS = "posts.import"
    UNDO_IMPORT = "posts.undo_import"
    RUN_DETECTION = "trends.detect"
    TRIAGE_TRENDS = "trends.triage"
    EDIT_WATCHLISTS = "watchlists.edit"
    EDIT_CAMPAIGNS = "campaigns.edit"
    EDIT_CHANNELS = "channels.edit"
    EDIT_DRAFTS = "drafts.edit"
    COMMENT = "drafts.comment"
    REVIEW_DRAFTS = "drafts.review"
    SCHEDULE = "schedule.edit"
    PAUSE = "schedule.pause"
    RECORD_METRICS = "metrics.record"
    EXPORT_BRIEFS = "briefs.export"


_VIEWER = {Action.VIEW, Action.EXPORT_BRIEFS}
_DRAFTER = _VIEWER | {
    Action.IMPORT_POSTS,
    Action.RUN_DETECTION,
    Action.TRIAGE_TRENDS,
    Action.EDIT_WATCHLISTS,
    Action.EDIT_CAMPAIGNS,
    Action.EDIT_DRAFTS,
    Action.COMMENT,
    Action.RECORD_METRICS,
}
_REVIEWER = _DRAFTER | {Action.REVIEW_DRAFTS, Action.SCHEDULE, Action.PAUSE, Action.UNDO_IMPORT, Action.EDIT_CHANNELS}
_ADMIN = _REVIEWER | {Action.MANAGE_USERS, Action.VIEW_AUDIT, Action.LOAD_DEMO}

# The one role x action table. Pages hide what a role may not do; the core refuses it regardless.
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.DRAFTER: frozenset(_DRAFTER),
    Role.REVIEWER: frozenset(_REVIEWER),
    Role.ADMIN: frozenset(_ADMIN),
}

# The local operator at the command line owns the database file, so it acts with admin rights.
CLI_ACTOR = Actor(user_id=None, username="cli", role=Role.ADMIN)


class PermissionDenied(PlannerError):
    """The acting user's role does not allow the action."""


class AuthError(PlannerError):
    """Login refused; the message never says whether the username exists."""


class UserError(PlannerError):
    """A user could not be created or changed (bad name, weak password, unknown user, last admin)."""


class LoginThrottled(AuthError):
    """Too many recent failures for this username from this client (or from this client): wait before retrying."""

    def __init__(self, wait: timedelta):
        self.wait_seconds = max(1, int(wait.total_seconds() + 0.999))
        super().__init__(THROTTLED_MESSAGE.format(seconds=self.wait_seconds))


class SetupDone(PlannerError):
    """The first admin already exists."""


def can(actor: Actor | None, action: Action) -> bool:
    """Return True when `actor`'s role allows `action`."""
    if actor is None:
        return False
    try:
        return action in PERMISSIONS[Role(actor.role)]
    except ValueError:
        return False


def require(actor: Actor | None, action: Action) -> None:
    """Raise PermissionDenied unless `actor` may perform `action`."""
    if not can(actor, action):
        who = actor.username if actor else "nobody"
        role = actor.role if actor else "no role"
        raise PermissionDenied(f"{who} ({role}) may not do {action.value}")


def actor_for(user: User) -> Actor:
    """Return the Actor for a stored user."""
    return Actor(user_id=user.id, username=user.username, role=user.role)


def hash_password(password: str) -> str:
    """Return an Argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return True when `password` matches `password_hash`."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _check_new_user(session: Session, username: str, password: str, role: str) -> str:
    name = _normalise_username(username)
    if not USERNAME_RE.match(name):
        raise UserError(
            "username: use 2-64 characters: lowercase letters, digits, dot, dash or underscore, starting with a "
            "letter or digit"
        )
    check_password_strength(password)
    if role not in {r.value for r in Role}:
        raise UserError(f"role: {role!r} is not one of {', '.join(r.value for r in Role)}")
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise UserError(f"username: {name!r} is taken")
    return name


def check_password_strength(password: str) -> None:
    """Raise UserError when `password` is too weak to accept."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() == "" or len(set(password)) < 4:
        raise UserError("password: use more varied characters")


def needs_setup(session: Session) -> bool:
    """Return True while the workspace has no active admin (the first-run screen is shown)."""
    return not session.scalar(select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True)))


def create_first_admin(session: Session, username: str, password: str, display_name: str = "") -> User:
    """Create the first admin of a fresh workspace; raise SetupDone if one exists."""
    with atomic(session):
        if not needs_setup(session):
            raise SetupDone("this workspace already has an admin: log in instead")
        name = _check_new_user(session, username, password, Role.ADMIN)
        user = User(
            username=name, display_name=display_name or name, password_hash=hash_password(password), role=Role.ADMIN
        )
        session.add(user)
        session.flush()
        audit.record(session, actor_for(user), "user.create", "user", user.id, f"first admin {name!r} (role admin)")
    return user


def create_user(
    session: Session, actor: Actor, username: str, password: str, role: str, display_name: str = ""
) -> User:
    """Create a user; raise PermissionDenied or UserError."""
    require(actor, Action.MANAGE_USERS)
    with atomic(session):
        name = _check_new_user(session, username, password, role)
        user = User(username=name, display_name=display_name or name, password_hash=hash_password(password), role=role)
        session.add(user)
        session.flush()
        audit.record(session, actor, "user.create", "user", user.id, f"created {name!r} with role {role}")
    return user


def get_user(session: Session, username: str) -> User:
    """Return the user called `username`; raise UserError if there is none."""
    user = session.scalar(select(User).where(User.username == _normalise_username(username)))
    if user is None:
        raise UserError(f"no user called {username!r}")
    return user


def list_users(session: Session) -> list[User]:
    """Return every user, active first, then by name."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.username)))


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True))) or 0


def set_role(session: Session, actor: Actor, username: str, role: str) -> User:
    """Change a user's role; refuse to demote the last active admin."""
    require(actor, Action.MANAGE_USERS)
    if role not in {r.value for r in Role}:
        raise UserError(f"role: {role!r} is not one of {', '.join(r.value for r in Role)}")
    with atomic(session):
        user = get_user(session, username)
        before = user.role
        if before == role:
            return user
        if before == Role.ADMIN and user.active and _active_admins(session) <= 1:
            raise UserError(f"{user.username!r} is the last active admin: make another admin first")
        user.role = role
        audit.record(session, actor, "user.set_role", "user", user.id, f"{user.username}: role {before} -> {role}")
        if role not in (Role.REVIEWER, Role.ADMIN):
            from planner.drafts import void_approvals_of

            void_approvals_of(session, actor, user, f"{user.username} no longer reviews (role {before} -> {role})")
    return user


def set_active(session: Session, actor: Actor, username: str, active: bool) -> User:
    """Deactivate or reactivate a user; refuse to deactivate the last active admin."""
    require(actor, Action.MANAGE_USERS)
    with atomic(session):
        user = get_user(session, username)
        if user.active == active:
            return user
        if not active and user.role == Role.ADMIN and _active_admins(session) <= 1:
            raise UserError(f"{user.username!r} is the last active admin: make another admin first")
        user.active = active
        verb = "reactivated" if active else "deactivated"
        audit.record(session, actor, f"user.{verb[:-1]}", "user", user.id, f"{user.username} {verb}")
        if not active:
            from planner.drafts import void_approvals_of

            void_approvals_of(session, actor, user, f"{user.username} was deactivated")
            sessions.end_all(session, actor, user.id, "deactivated")
    return user


def change_password(
    session: Session,
    actor: Actor,
    username: str,
    new_password: str,
    old_password: str | None = None,
    keep_session: int | None = None,
) -> None:
    """Set a new password: users change their own (with the old one), admins reset anyone's.

    Every other open session of that user ends (all of them after an admin reset; the caller's own `keep_session`
    stays open when users change their own).
    """
    with atomic(session):
        user = get_user(session, username)
        own = actor.user_id == user.id
        if own:
            if old_password is None or not verify_password(user.password_hash, old_password):
                raise UserError("current password: it does not match")
        else:
            require(actor, Action.MANAGE_USERS)
        check_password_strength(new_password)
        if own and verify_password(user.password_hash, new_password):
            raise UserError("new password: it is the same as the current one")
        user.password_hash = hash_password(new_password)
        audit.record(
            session,
            actor,
            "user.password_change",
            "user",
            user.id,
            f"{user.username}: password {'changed' if own else 'reset by admin'}",
        )
        sessions.end_all(session, actor, user.id, "password changed", keep=keep_session if own else None)


def _throttle_keys(name: str, client: str) -> dict[str, int]:
    """Return the throttle keys of a login attempt with the failures each allows before delays start."""
    client = (client or "local")[:64]
    return {f"pair:{name}|{client}": FREE_PAIR_FAILURES, f"client:{client}": FREE_CLIENT_FAILURES}


def delay_after(failures: int, free: int) -> timedelta:
    """Return how long a key waits after `failures` failures in a row when `free` are allowed (doubling, capped)."""
    if failures < free:
        return timedelta(0)
    return min(BASE_DELAY * (2 ** min(failures - free, 20)), MAX_DELAY)


def authenticate(session: Session, username: str, password: str, client: str = "") -> User:
    """Return the active user whose credentials these are; raise AuthError (LoginThrottled while waiting) otherwise.

    Failures are counted per username-and-client pair and per client, whether or not the username exists; past the
    free failures each key waits BASE_DELAY, doubling per failure up to MAX_DELAY. `client` is the IP address.
    A success clears its pair's count; counts older than FORGET_AFTER are forgotten.
    """
    name = _normalise_username(username)[:64]
    now = utcnow()
    keys = _throttle_keys(name, client)
    with atomic(session):
        rows = {k: session.get(LoginThrottle, k) for k in keys}
        for row in rows.values():
            if row is not None and row.last_failure_at and row.last_failure_at + FORGET_AFTER < now:
                row.failures, row.blocked_until = 0, None
        waits = [
            row.blocked_until - now for row in rows.values() if row and row.blocked_until and row.blocked_until > now
        ]
        failed = True
        if waits:
            throttled: timedelta | None = max(waits)
        else:
            throttled = None
            user = session.scalar(select(User).where(User.username == name))
            ok = verify_password(user.password_hash if user else _dummy_hash(), password or "")
            failed = user is None or not ok or not user.active
            if failed:
                _count_failure(session, name, client, keys, rows, now)
            else:
                pair = rows[next(iter(keys))]
                if pair is not None:
                    pair.failures, pair.blocked_until = 0, None
                user.last_login_at = now
                audit.record(session, actor_for(user), "login.success", "user", user.id, f"{user.username} logged in")
    if throttled is not None:
        raise LoginThrottled(throttled)
    if failed:
        raise AuthError(LOGIN_FAILED_MESSAGE)
    return user


def _count_failure(session: Session, name: str, client: str, keys, rows, now) -> None:
    # Forget stale counters of other keys, so spraying from many addresses cannot grow the table without end.
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FORGET_AFTER, LoginThrottle.key.not_in(keys))
    )
    for key, free in keys.items():
        row = rows[key]
        if row is None:
            row = LoginThrottle(key=key, failures=0)
            session.add(row)
        row.failures = (row.failures or 0) + 1
        row.last_failure_at = now
        wait = delay_after(row.failures, free)
        if wait:
            row.blocked_until = now + wait
            scope = "this username from this client" if key.startswith("pair:") else "this client"
            where = client or "local"
            audit.record(
                session,
                Actor(None, name, ""),
                "login.throttled",
                "login",
                name,
                f"{row.failures} failed logins for {scope} ({where}): next try in {int(wait.total_seconds())} s",
            )


def load_actor(session: Session, user_id: int) -> Actor | None:
    """Return the Actor for an active user id, or None if it was deactivated or removed since login."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return actor_for(user)


def touch_last_seen(session: Session, actor: Actor):
    """Record that the user opened the home page now; return the previous visit time (or None)."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    if user is None:
        return None
    previous = user.last_seen_at
    with atomic(session):
        user.last_seen_at = utcnow()
    return previous


def time_zone_of(session: Session, user_id: int | None) -> ZoneInfo:
    """Return the display time zone of a user (UTC when unset or unknown)."""
    user = session.get(User, user_id) if user_id is not None else None
    try:
        return ZoneInfo(user.time_zone if user else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def set_time_zone(session: Session, actor: Actor, zone: str) -> None:
    """Set the acting user's display time zone; raise UserError for an unknown zone name."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(f"time zone: {zone!r} is not a known IANA time zone name") from exc
    with atomic(session):
        user = session.get(User, actor.user_id)
        if user is None:
            raise UserError("time zone: only logged-in users have a display time zone")
        before, user.time_zone = user.time_zone, zone
        audit.record(session, actor, "user.time_zone", "user", user.id, f"{user.username}: {before} -> {zone}")
