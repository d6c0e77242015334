"""Single sign-on: the [auth] configuration is read and validated; admins link emails; linked identities log in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from planner import auth, sso
from planner.models import AuditEntry

GOOD = {
    "redirect_uri": "https://planner.example.org/oauth2callback",
    "cookie_secret": "a long random secret",
    "client_id": "counterpoint",
    "client_secret": "shh",
    "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
}


def test_no_auth_section_means_no_sso():
    assert sso.load_config({}) is None
    assert sso.load_config(None) is None
    assert sso.load_config({"other": {"x": 1}}) is None


def test_flat_and_named_providers_are_read():
    assert sso.load_config({"auth": GOOD}).providers == ("default",)
    named = {
        "redirect_uri": GOOD["redirect_uri"],
        "cookie_secret": "s",
        "keycloak": {k: GOOD[k] for k in sso.PROVIDER_KEYS},
        "entra": {k: GOOD[k] for k in sso.PROVIDER_KEYS},
    }
    config = sso.load_config({"auth": named})
    assert config.providers == ("entra", "keycloak")
    assert config.label("default") == "single sign-on" and config.label("entra") == "entra"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"redirect_uri": ""}, r"\[auth\] redirect_uri: missing"),
        ({"cookie_secret": None}, r"\[auth\] cookie_secret: missing"),
        ({"redirect_uri": "https://planner.example.org/callback"}, "must be http"),
        ({"client_secret": ""}, r"\[auth\] client_secret: missing"),
        ({"server_metadata_url": "http://idp.example.org/x"}, "https:// discovery URL"),
    ],
)
def test_bad_config_names_the_key(change, message):
    with pytest.raises(sso.SsoConfigError, match=message):
        sso.load_config({"auth": {**GOOD, **change}})


def test_named_provider_missing_key_is_named():
    bad = {"redirect_uri": GOOD["redirect_uri"], "cookie_secret": "s", "corp": {"client_id": "x"}}
    with pytest.raises(sso.SsoConfigError, match=r"\[auth.corp\] client_secret: missing"):
        sso.load_config({"auth": bad})
    with pytest.raises(sso.SsoConfigError, match="no provider"):
        sso.load_config({"auth": {"redirect_uri": GOOD["redirect_uri"], "cookie_secret": "s"}})


def test_only_admins_link_and_links_are_audited(session, admin, drafter):
    with pytest.raises(auth.PermissionDenied):
        sso.link(session, drafter, "dora@example.org", "dora")
    with pytest.raises(sso.SsoError, match="not an email"):
        sso.link(session, admin, "dora", "dora")
    sso.link(session, admin, " Dora@Example.org ", "dora")
    assert sso.links(session) == [("dora@example.org", "dora")]
    assert sso.unlink(session, admin, "DORA@example.org") == "dora@example.org"
    assert sso.links(session) == []
    with pytest.raises(sso.SsoError, match="not linked"):
        sso.unlink(session, admin, "dora@example.org")
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("user.sso%"))).all()
    assert actions == ["user.sso_link", "user.sso_unlink"]


def test_identity_maps_to_the_linked_active_user(session, admin, drafter):
    sso.link(session, admin, "dora@example.org", "dora")
    who = {"is_logged_in": True, "email": "DORA@example.org", "email_verified": True}
    user = sso.log_in(session, who)
    assert user.username == "dora" and user.last_login_at is not None
    with pytest.raises(sso.SsoError, match="not verified"):
        sso.user_for_identity(session, {**who, "email_verified": False})
    with pytest.raises(sso.SsoError, match="ask an admin"):
        sso.user_for_identity(session, {**who, "email": "stranger@example.org"})
    with pytest.raises(sso.SsoError, match="not signed in"):
        sso.user_for_identity(session, {"is_logged_in": False})
    auth.set_active(session, admin, "dora", False)
    with pytest.raises(sso.SsoError, match="ask an admin"):
        sso.user_for_identity(session, who)


def test_default_rule_creates_a_linked_account_with_the_default_role(session, admin, drafter):
    with pytest.raises(auth.PermissionDenied):
        sso.set_default_rule(session, drafter, "viewer", "example.org")
    with pytest.raises(sso.SsoError, match="default role"):
        sso.set_default_rule(session, admin, "admin", "example.org")
    with pytest.raises(sso.SsoError, match="email domain"):
        sso.set_default_rule(session, admin, "viewer", "not a domain")
    stranger = {"is_logged_in": True, "email": "dora@example.org", "email_verified": True, "name": "Dora Two"}
    with pytest.raises(sso.SsoError, match="ask an admin"):
        sso.log_in(session, stranger)  # no rule yet
    sso.set_default_rule(session, admin, "viewer", "@Example.org")
    assert sso.default_rule(session) == sso.DefaultRule("viewer", "example.org")
    user = sso.log_in(session, stranger)
    # "dora" is taken by the drafter: the new account gets its own name, the default role, and no usable password.
    assert (user.username, user.role, user.display_name) == ("dora-2", "viewer", "Dora Two")
    assert not auth.verify_password(user.password_hash, "")
    assert sso.log_in(session, stranger).id == user.id  # the second time it is linked
    with pytest.raises(sso.SsoError, match="ask an admin"):
        sso.log_in(session, {**stranger, "email": "eve@elsewhere.example"})
    sso.set_default_rule(session, admin, None)
    assert sso.default_rule(session) is None
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor_name == "single sign-on")).all()
    assert actions == ["user.create", "user.sso_link"]
