"""App shell and foundation pages through AppTest: first run, login gate, navigation by role, admin pages."""

from __future__ import annotations

import pytest

from planner import audit, auth
from planner.config import load_settings
from planner.db import open_workspace
from tests.conftest import PASSWORD
from tests.ui_helpers import app_as, assert_plain_words, make_user

FOUNDATION_PAGES = ["planner/ui/home.py", "planner/ui/account.py", "planner/ui/users.py", "planner/ui/audit_log.py"]


def _fill_setup(at, password=PASSWORD, confirm=PASSWORD, demo=False):
    at.text_input(key="setup_username").input("ada")
    at.text_input(key="setup_display").input("Ada Lovelace")
    at.text_input(key="setup_password").input(password)
    at.text_input(key="setup_confirm").input(confirm)
    if demo:
        at.checkbox(key="setup_demo").check()
    at.button[0].click().run()
    return at


def test_first_run_creates_admin_and_logs_in(app_env):
    at = app_as(None)
    assert [t.value for t in at.title] == ["Welcome to Counterpoint"]
    _fill_setup(at)
    assert not at.exception
    assert [t.value for t in at.title] == ["Home"]
    assert at.session_state["user_id"] == 1
    assert {"Monitored posts", "Imports", "Waiting for your review"} <= {m.label for m in at.metric}


def test_first_run_refuses_mismatched_passwords(app_env):
    at = _fill_setup(app_as(None), confirm="something else entirely")
    assert [e.value for e in at.error] == ["Repeat password: the two passwords differ."]
    assert "user_id" not in at.session_state


def test_first_run_with_demo(app_env):
    at = _fill_setup(app_as(None), demo=True)
    assert not at.exception
    posts = next(m for m in at.metric if m.label == "Monitored posts")
    assert int(posts.value.replace(",", "")) > 45_000


def test_login_gate_and_generic_error(app_env):
    make_user()
    at = app_as(None)
    assert [t.value for t in at.title] == ["Log in to Counterpoint"]
    at.text_input(key="login_username").input("ada")
    at.text_input(key="login_password").input("wrong password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong username or password."]
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and [t.value for t in at.title] == ["Home"]


@pytest.mark.parametrize("page", FOUNDATION_PAGES)
def test_every_page_loads_for_admin(app_env, page):
    at = app_as(make_user(), page)
    assert not at.exception
    assert at.title


def test_admin_pages_are_not_offered_to_drafters(app_env):
    make_user()
    at = app_as(make_user("dora", "drafter"))
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("planner/ui/users.py")


def test_logout(app_env):
    at = app_as(make_user())
    at.button(key="logout").click().run()
    assert "user_id" not in at.session_state
    assert [t.value for t in at.title] == ["Log in to Counterpoint"]


def test_users_page_adds_a_user(app_env):
    at = app_as(make_user(), "planner/ui/users.py")
    at.text_input(key="new_username").input("dora")
    at.text_input(key="new_password").input(PASSWORD)
    at.selectbox(key="new_role").select("reviewer")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception and not at.error
    ws = open_workspace(load_settings().database_url)
    with ws.session() as session:
        assert audit.entries(session).iloc[0]["summary"] == "created 'dora' with role reviewer"
    ws.dispose()


def test_audit_page_lists_entries_as_sentences(app_env):
    at = app_as(make_user(), "planner/ui/audit_log.py")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["at", "actor", "what", "details"]
    assert table["what"].tolist() == ["cli added user ada"]
    assert_plain_words(at)


def test_users_page_plain_words_and_role_defaults_to_current(app_env):
    make_user()
    dora = make_user("dora", "reviewer")
    at = app_as(make_user("zed", "admin"), "planner/ui/users.py")
    table = at.dataframe[0].value
    assert table.set_index("username").loc["dora", "last login"] == "never"
    assert table.set_index("username").loc["dora", "role"] == "Reviewer"
    assert_plain_words(at)
    at.selectbox(key="change_target").select("dora").run()
    assert at.selectbox(key="change_role_dora").value == "reviewer"
    assert at.button(key="change_set_role").disabled  # nothing to change yet
    at.selectbox(key="change_role_dora").select("drafter").run()
    at.button(key="change_set_role").click().run()
    assert not at.exception and not at.error
    ws = open_workspace(load_settings().database_url)
    with ws.session() as session:
        assert auth.load_actor(session, dora).role == "drafter"
    ws.dispose()
