"""Optional OIDC single sign-on: reading Streamlit's [auth] secrets, and the emails an admin links to users."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import USERNAME_RE, Action, Role, get_user, require
from planner.db import atomic
from planner.errors import PlannerError
from planner.models import SsoLink, User, utcnow
from planner.workspace import get_setting, set_setting

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,63}$")
DEFAULT_ROLE_KEY = "sso_default_role"
DEFAULT_DOMAIN_KEY = "sso_default_domain"
# Roles an unlinked identity may get by default: never admin.
DEFAULT_ROLES = (Role.VIEWER, Role.DRAFTER, Role.REVIEWER)
# Stored as the password hash of accounts created by single sign-on: no password ever matches it.
NO_PASSWORD = "!single-sign-on"
SSO_ACTOR = Actor(user_id=None, username="single sign-on", role="")
# Keys every provider needs, besides the [auth] section's redirect_uri and cookie_secret.
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


class SsoConfigError(PlannerError):
    """The [auth] section of .streamlit/secrets.toml is incomplete or wrong; the message names the key."""


class SsoError(PlannerError):
    """A single sign-on identity that may not log in (no verified email, not linked, or deactivated)."""


@dataclass(frozen=True)
class SsoConfig:
    """Providers found in a valid [auth] section: "default" for the flat form, else each [auth.NAME] section."""

    providers: tuple[str, ...]
    redirect_uri: str

    def label(self, provider: str) -> str:
        return "single sign-on" if provider == "default" else provider


def load_config(secrets: Mapping | None) -> SsoConfig | None:
    """Return the single sign-on configuration in Streamlit's secrets, None when there is no [auth] section.

    Raise SsoConfigError naming the first missing or bad key, so a half-written file is noticed at startup.
    """
    section = (secrets or {}).get("auth") if secrets is not None else None
    if not section:
        return None
    if not isinstance(section, Mapping):
        raise SsoConfigError("[auth]: must be a table")
    for key in ("redirect_uri", "cookie_secret"):
        if not str(section.get(key) or "").strip():
            raise SsoConfigError(f"[auth] {key}: missing")
    redirect_uri = str(section["redirect_uri"])
    if not re.match(r"^https?://[^/]+/oauth2callback$", redirect_uri):
        raise SsoConfigError(f"[auth] redirect_uri: {redirect_uri!r} must be http(s)://HOST[:PORT]/oauth2callback")
    named = {name: value for name, value in section.items() if isinstance(value, Mapping)}
    providers = dict(named)
    if any(section.get(k) for k in PROVIDER_KEYS):
        providers["default"] = section
    if not providers:
        raise SsoConfigError("[auth]: no provider: add client_id, client_secret, server_metadata_url")
    for name, provider in providers.items():
        where = "[auth]" if name == "default" else f"[auth.{name}]"
        for key in PROVIDER_KEYS:
            if not str(provider.get(key) or "").strip():
                raise SsoConfigError(f"{where} {key}: missing")
        if not str(provider["server_metadata_url"]).startswith("https://"):
            raise SsoConfigError(f"{where} server_metadata_url: use the provider's https:// discovery URL")
    return SsoConfig(providers=tuple(sorted(providers)), redirect_uri=redirect_uri)


def normalise_email(email: str) -> str:
    """Return an email lowercased and trimmed; raise SsoError when it is not an address."""
    value = (email or "").strip().lower()
    if not EMAIL_RE.match(value):
        raise SsoError(f"email: {email!r} is not an email address")
    return value


def link(session: Session, actor: Actor, email: str, username: str) -> SsoLink:
    """Let the identity-provider account with `email` sign in as user `username` (admins only)."""
    require(actor, Action.MANAGE_USERS)
    address = normalise_email(email)
    with atomic(session):
        user = get_user(session, username)
        row = session.get(SsoLink, address)
        if row is None:
            row = SsoLink(email=address, user_id=user.id, created_by=actor.username)
            session.add(row)
        elif row.user_id == user.id:
            return row
        else:
            row.user_id, row.created_by = user.id, actor.username
        audit.record(session, actor, "user.sso_link", "user", user.id, f"{user.username}: {address} may sign in")
    return row


def unlink(session: Session, actor: Actor, email: str) -> str:
    """Stop an identity-provider email from signing in (admins only); return the address."""
    require(actor, Action.MANAGE_USERS)
    address = normalise_email(email)
    with atomic(session):
        row = session.get(SsoLink, address)
        if row is None:
            raise SsoError(f"email: {address!r} is not linked to any user")
        user = session.get(User, row.user_id)
        session.delete(row)
        audit.record(
            session, actor, "user.sso_unlink", "user", row.user_id, f"{user.username if user else '?'}: {address}"
        )
    return address


def links(session: Session) -> list[tuple[str, str]]:
    """Return (email, username) of every link, by email."""
    rows = session.execute(select(SsoLink.email, User.username).join(User).order_by(SsoLink.email))
    return [(email, name) for email, name in rows]


@dataclass(frozen=True)
class DefaultRule:
    """Unlinked, verified emails at `domain` get their own new account with `role`."""

    role: str
    domain: str


def default_rule(session: Session) -> DefaultRule | None:
    """Return the rule for unlinked identities, or None when only linked emails may sign in."""
    role, domain = get_setting(session, DEFAULT_ROLE_KEY), get_setting(session, DEFAULT_DOMAIN_KEY)
    return DefaultRule(role, domain) if role and domain else None


def set_default_rule(session: Session, actor: Actor, role: str | None, domain: str = "") -> None:
    """Let unlinked emails at `domain` sign in with `role` (viewer, drafter or reviewer); None turns it off."""
    require(actor, Action.MANAGE_USERS)
    domain = (domain or "").strip().lower().lstrip("@")
    if role is not None:
        if role not in {r.value for r in DEFAULT_ROLES}:
            raise SsoError(f"default role: {role!r} is not one of {', '.join(r.value for r in DEFAULT_ROLES)}")
        if not re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", domain):
            raise SsoError(f"email domain: {domain!r} is not a domain such as example.org")
    with atomic(session):
        set_setting(session, DEFAULT_ROLE_KEY, role or "")
        set_setting(session, DEFAULT_DOMAIN_KEY, domain if role else "")
        summary = f"unlinked emails at {domain} sign in as {role}" if role else "only linked emails sign in"
        audit.record(session, actor, "sso.default_role", "workspace", "sso", summary)


def _checked_email(identity: Mapping) -> str:
    if not identity.get("is_logged_in"):
        raise SsoError("single sign-on: not signed in at the identity provider")
    email = str(identity.get("email") or "")
    if not email:
        raise SsoError("single sign-on: the identity provider sent no email address")
    if identity.get("email_verified") is False:
        raise SsoError("single sign-on: the identity provider has not verified this email address")
    return normalise_email(email)


_REFUSED = "single sign-on: this account may not use Counterpoint; ask an admin to link your email"


def user_for_identity(session: Session, identity: Mapping) -> User:
    """Return the active user an identity-provider login (st.user) is linked to; raise SsoError otherwise."""
    row = session.get(SsoLink, _checked_email(identity))
    user = session.get(User, row.user_id) if row else None
    if user is None or not user.active:
        raise SsoError(_REFUSED)
    return user


def _free_username(session: Session, email: str) -> str:
    base = re.sub(r"[^a-z0-9._-]", "-", email.split("@")[0])[:56].strip("._-") or "user"
    base = base if USERNAME_RE.match(base) else f"u-{base}"[:56]
    name, n = base, 1
    while session.scalar(select(User.id).where(User.username == name)) is not None:
        n += 1
        name = f"{base}-{n}"
    return name


def log_in(session: Session, identity: Mapping) -> User:
    """Log in the user an identity-provider login is linked to (audited like a password login).

    An unlinked, verified email at the default rule's domain gets a new account with the default role, linked.
    """
    email = _checked_email(identity)
    with atomic(session):
        row = session.get(SsoLink, email)
        rule = default_rule(session)
        if row is None and rule is not None and email.endswith("@" + rule.domain):
            name = _free_username(session, email)
            display = str(identity.get("name") or name)[:120]
            user = User(username=name, display_name=display, password_hash=NO_PASSWORD, role=rule.role)
            session.add(user)
            session.flush()
            session.add(SsoLink(email=email, user_id=user.id, created_by=SSO_ACTOR.username))
            audit.record(session, SSO_ACTOR, "user.create", "user", user.id, f"{name} ({email}) with role {rule.role}")
            audit.record(session, SSO_ACTOR, "user.sso_link", "user", user.id, f"{name}: {email} may sign in")
        user = user_for_identity(session, identity)
        user.last_login_at = utcnow()
        audit.record(
            session,
            Actor(user.id, user.username, user.role),
            "login.success",
            "user",
            user.id,
            f"{user.username} logged in through single sign-on",
        )
    return user
