"""Shared fixtures: a fresh workspace per test, users of every role, a PostgreSQL database on demand."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from planner import auth
from planner.db import open_workspace

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"  # real-data samples, committed (see tests/fixtures/README.md)
PG_ADMIN_URL = os.environ.get("PLANNER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"


@pytest.fixture
def ws(tmp_path):
    """A fresh, migrated SQLite workspace in a temporary folder."""
    workspace = open_workspace(f"sqlite:///{tmp_path / 'ws.db'}")
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
    admin_engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"cp_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        admin_engine.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """Point the app at a fresh data folder; return that folder."""
    import streamlit as st

    data = tmp_path / "appdata"
    monkeypatch.setenv("PLANNER_DATA_DIR", str(data))
    monkeypatch.delenv("PLANNER_DATABASE_URL", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield data
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """An SQLite workspace file with first admin 'ada' and the demo loaded, built once per test run."""
    from planner import demo

    path = tmp_path_factory.mktemp("demo-template") / "counterpoint.db"
    workspace = open_workspace(f"sqlite:///{path}")
    with workspace.session() as s:
        user = auth.create_first_admin(s, "ada", PASSWORD)
        demo.load_demo(s, auth.actor_for(user))
    workspace.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


def copy_demo(template: Path, data_dir: Path) -> Path:
    """Copy the demo workspace into `data_dir` as its default SQLite file; return the file."""
    import shutil

    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "counterpoint.db"
    shutil.copyfile(template, target)
    return target


@pytest.fixture
def demo_ws(demo_template, tmp_path):
    """A fresh copy of the demo workspace, opened."""
    workspace = open_workspace(f"sqlite:///{copy_demo(demo_template, tmp_path / 'demo')}")
    yield workspace
    workspace.dispose()


@pytest.fixture
def demo_session(demo_ws):
    with demo_ws.session() as s:
        yield s


@pytest.fixture
def demo_admin(demo_session):
    return auth.actor_for(auth.get_user(demo_session, "ada"))
