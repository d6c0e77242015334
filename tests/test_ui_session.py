"""Sessions through AppTest: login opens a server session, logout and revocation end it, single sign-on logs in."""

from __future__ import annotations

from sqlalchemy import select

from planner import auth, sessions, sso
from planner.config import load_settings
from planner.db import open_workspace
from planner.models import UserSession
from tests.conftest import PASSWORD
from tests.test_sso import GOOD
from tests.ui_helpers import app_as, make_user


def _ws():
    return open_workspace(load_settings().database_url)


def _login(at, username="ada", password=PASSWORD):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def _open_sessions(user_id):
    ws = _ws()
    try:
        with ws.session() as s:
            return [row.id for row in sessions.open_sessions(s, user_id)]
    finally:
        ws.dispose()


def test_login_opens_a_session_and_logout_ends_it(app_env):
    uid = make_user()
    at = _login(app_as(None))
    assert not at.exception
    session_id = at.session_state["session_id"]
    assert _open_sessions(uid) == [session_id]
    at.sidebar.button(key="logout").click().run()
    assert [t.value for t in at.title] == ["Log in to Counterpoint"]
    assert _open_sessions(uid) == []


def test_a_session_revoked_elsewhere_signs_the_tab_out(app_env):
    make_user()
    make_user("dora", "drafter")
    at = _login(app_as(None), "dora")
    assert [t.value for t in at.title] == ["Home"]
    ws = _ws()
    with ws.session() as s:
        auth.set_active(s, auth.CLI_ACTOR, "dora", False)
    ws.dispose()
    at.run()
    assert [t.value for t in at.title] == ["Log in to Counterpoint"]
    assert "user_id" not in at.session_state


def test_idle_limit_comes_from_the_setting(app_env, monkeypatch):
    monkeypatch.setenv("PLANNER_SESSION_IDLE_MINUTES", "1")
    make_user()
    at = _login(app_as(None))
    session_id = at.session_state["session_id"]
    ws = _ws()
    with ws.session() as s:
        row = s.get(UserSession, session_id)
        row.last_seen_at = row.last_seen_at - sessions.TOUCH_EVERY - sessions.TOUCH_EVERY
        s.commit()
    ws.dispose()
    at.run()
    assert [t.value for t in at.title] == ["Log in to Counterpoint"]
    ws = _ws()
    with ws.session() as s:
        assert s.scalar(select(UserSession.end_reason).where(UserSession.id == session_id)) == "idle"
    ws.dispose()


def test_throttled_login_shows_the_wait(app_env):
    make_user()
    at = app_as(None)
    for _ in range(auth.FREE_PAIR_FAILURES):
        _login(at, password="wrong password!!")
    _login(at)
    assert [e.value for e in at.error] == ["Too many failed attempts. Wait 2 s and try again."]
    assert "user_id" not in at.session_state


def test_account_page_changes_password_and_lists_sessions(app_env):
    make_user()
    at = _login(app_as(None))
    at.switch_page("planner/ui/account.py").run()
    assert "this browser" in at.dataframe[0].value["this"].tolist()
    at.text_input(key="acct_old").input(PASSWORD)
    at.text_input(key="acct_new").input("a fresh passphrase 7")
    at.text_input(key="acct_confirm").input("a fresh passphrase 7")
    at.button(key="FormSubmitter:change_password-Change password").click().run()
    assert not at.error and not at.exception
    ws = _ws()
    with ws.session() as s:
        assert auth.authenticate(s, "ada", "a fresh passphrase 7").username == "ada"
    ws.dispose()


def test_linked_single_sign_on_identity_logs_in_as_that_user(app_env):
    make_user()
    make_user("dora", "drafter")
    ws = _ws()
    with ws.session() as s:
        sso.link(s, auth.CLI_ACTOR, "dora@example.org", "dora")
    ws.dispose()
    at = app_as(None)
    at.secrets["auth"] = GOOD
    at.user = {"is_logged_in": True, "email": "dora@example.org", "email_verified": True}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Home"]
    assert any("dora" in c.value for c in at.sidebar.caption)


def test_unlinked_single_sign_on_identity_is_refused(app_env):
    make_user()
    at = app_as(None)
    at.secrets["auth"] = GOOD
    at.user = {"is_logged_in": True, "email": "stranger@example.org", "email_verified": True}
    at.run()
    assert [t.value for t in at.title] == ["Log in to Counterpoint"]
    assert any("ask an admin" in e.value for e in at.error)
    assert [b.label for b in at.button if b.label.startswith("Log in with")] == ["Log in with single sign-on"]


def test_admin_links_an_email_and_sets_the_default_rule_on_the_users_page(app_env):
    uid = make_user()
    make_user("dora", "drafter")
    at = app_as(uid, "planner/ui/users.py")
    at.text_input(key="sso_email").input("Dora@Example.org")
    at.selectbox(key="sso_user").select("dora")
    at.button(key="FormSubmitter:sso_link-Link email").click().run()
    assert not at.exception and not at.error
    frames = [f.value for f in at.dataframe]
    assert any(
        list(f.columns) == ["email", "username"] and f.iloc[0].tolist() == ["dora@example.org", "dora"] for f in frames
    )
    at.selectbox(key="sso_default_role").select("viewer")
    at.text_input(key="sso_default_domain").input("example.org")
    at.button(key="FormSubmitter:sso_default-Save rule").click().run()
    assert not at.error
    ws = _ws()
    with ws.session() as s:
        assert sso.default_rule(s) == sso.DefaultRule("viewer", "example.org")
    ws.dispose()
