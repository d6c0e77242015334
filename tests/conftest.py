"""Shared fixtures: a fresh workspace per test (SQLite, or PostgreSQL when asked), users of every role."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planner import auth
from planner.db import open_workspace
from tests import workspaces
from tests.workspaces import (  # noqa: F401 - re-exported: tests import these helpers from here
    PASSWORD,
    POSTGRES,
    POSTGRES_VAR,
    copy_demo,
    data_dir_url,
    engine_at_revision,
    use_workspace,
    workspace_env,
    workspace_url,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"  # real-data samples, committed (see tests/fixtures/README.md)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    # One worker runs the browser tests one after another (pytest-xdist's loadgroup): two Streamlit servers and two
    # Chromiums at once on a 2-core machine would only slow both; the other tests share out around them.
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("browser"))
    if not POSTGRES:
        return
    skip = pytest.mark.skip(reason=f"SQLite-specific; {POSTGRES_VAR} runs the suite on PostgreSQL")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    workspaces.finish()


@pytest.fixture(autouse=True)
def _drop_test_databases():
    """Drop the PostgreSQL databases the test (and its function-scoped fixtures) created, pass or fail."""
    position = workspaces.mark()
    yield
    workspaces.drop_since(position)


@pytest.fixture
def ws(tmp_path):
    """A fresh, migrated workspace (an SQLite file in a temporary folder, or a PostgreSQL database)."""
    workspace = open_workspace(workspace_url(tmp_path))
    yield workspace
    workspace.dispose()


@pytest.fixture
def session(ws):
    with ws.session() as s:
        yield s


def _make(session, username, role):
    user = auth.create_user(session, auth.CLI_ACTOR, username, PASSWORD, role)
    return auth.actor_for(user)


@pytest.fixture
def admin(session):
    return _make(session, "ada", auth.Role.ADMIN)


@pytest.fixture
def reviewer(session):
    return _make(session, "rhea", auth.Role.REVIEWER)


@pytest.fixture
def drafter(session):
    return _make(session, "dora", auth.Role.DRAFTER)


@pytest.fixture
def viewer(session):
    return _make(session, "vic", auth.Role.VIEWER)


@pytest.fixture
def pg_url():
    """The URL of a new, empty PostgreSQL database, dropped afterwards (skipped if no server, failed in CI)."""
    try:
        name = workspaces.create_database()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        if os.environ.get("CI") or POSTGRES:
            pytest.fail(f"PostgreSQL is required here but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    return workspaces.pg_url_of(name)  # dropped by _drop_test_databases


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Point the app at a fresh data folder (and in PostgreSQL mode at a fresh database); return that folder."""
    import streamlit as st

    data = tmp_path / "appdata"
    use_workspace(monkeypatch, data)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield data
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo workspace with first admin 'ada', built once per run: an SQLite file, or in PostgreSQL mode the
    name of a template database. Tests take copies of it with copy_demo."""
    if POSTGRES:
        return workspaces.template("demo")
    path = tmp_path_factory.mktemp("demo-template") / workspaces.DB_FILENAME
    workspaces.load_demo(f"sqlite:///{path}")
    return path


@pytest.fixture
def demo_ws(demo_template, tmp_path):
    """A fresh copy of the demo workspace, opened."""
    workspace = open_workspace(copy_demo(demo_template, tmp_path / "demo"))
    yield workspace
    workspace.dispose()


@pytest.fixture
def demo_session(demo_ws):
    with demo_ws.session() as s:
        yield s


@pytest.fixture
def demo_admin(demo_session):
    return auth.actor_for(auth.get_user(demo_session, "ada"))
