"""Workspace database: URL handling, SQLite settings, migrations from empty and repeated, version refusal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from planner import db
from planner.config import load_settings
from planner.models import Base
from tests.conftest import engine_at_revision, workspace_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.sqlite_only
def test_default_url_is_sqlite_file_in_data_dir(tmp_path):
    settings = load_settings({"PLANNER_DATA_DIR": str(tmp_path / "d")})
    assert settings.database_url == f"sqlite:///{(tmp_path / 'd' / 'counterpoint.db').resolve()}"
    ws = db.open_workspace(settings=settings)
    try:
        assert (tmp_path / "d" / "counterpoint.db").exists()
    finally:
        ws.dispose()


@pytest.mark.sqlite_only
def test_sqlite_pragmas(ws):
    with ws.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS


def test_upgrade_from_empty_then_again_is_noop(tmp_path):
    engine = db.create_db_engine(workspace_url(tmp_path, "x", migrated=False))
    before, after = db.upgrade(engine)
    assert before is None and after == db.schema_status(engine)[1]
    assert db.upgrade(engine) == (after, after)
    tables = set(inspect(engine).get_table_names())
    assert {"users", "audit_log", "posts", "import_batches", "alembic_version"} <= tables
    engine.dispose()


def test_models_match_migrations(ws):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with ws.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_schema_head_constant_is_alembics_head(tmp_path):
    engine = db.create_db_engine(workspace_url(tmp_path, "h", migrated=False))
    try:
        assert db.schema_status(engine) == (None, db.SCHEMA_HEAD)
    finally:
        engine.dispose()


def test_current_workspace_opens_without_loading_alembic(ws, tmp_path):

    url = ws.url
    code = (
        "import sys; from planner import db; w = db.open_workspace(sys.argv[1]); w.dispose(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    out = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    engine = engine_at_revision(tmp_path, "0012_audit_chain")
    old = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    out = subprocess.run([sys.executable, "-c", code, old], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "alembic" in out.stdout  # a workspace behind the code is still migrated, through Alembic
    engine = db.create_db_engine(old)
    assert db.schema_status(engine)[0] == db.SCHEMA_HEAD
    engine.dispose()


def test_newer_schema_is_refused(tmp_path):
    engine = db.create_db_engine(workspace_url(tmp_path, "n", migrated=False))
    db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(db.SchemaTooNewError, match="newer version"):
        db.upgrade(engine)
    engine.dispose()


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://x/y"])
def test_bad_url_names_the_variable(url):
    with pytest.raises(db.DatabaseConfigError, match="PLANNER_DATABASE_URL"):
        db.open_workspace(url)


def test_unreachable_server_is_a_one_line_error():
    with pytest.raises(db.DatabaseUnavailableError, match="PLANNER_DATABASE_URL") as info:
        db.open_workspace("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert "\n" not in str(info.value)


def test_atomic_rolls_back(session):
    from planner.models import WorkspaceSetting

    with pytest.raises(RuntimeError), db.atomic(session):
        session.add(WorkspaceSetting(key="k", value="v"))
        session.flush()
        raise RuntimeError("boom")
    assert session.get(WorkspaceSetting, "k") is None


@pytest.mark.sqlite_only
def test_backup_copies_data(ws, session, admin, tmp_path):
    target = db.backup_sqlite(ws.engine, tmp_path / "backup.db")
    copy = db.open_workspace(f"sqlite:///{target}")
    try:
        with copy.session() as s:
            assert s.execute(text("SELECT username FROM users")).scalars().all() == ["ada"]
    finally:
        copy.dispose()
    with pytest.raises(db.PlannerError, match="already exists"):
        db.backup_sqlite(ws.engine, target)


@pytest.mark.postgres
def test_postgres_upgrade_and_models(pg_url):
    ws = db.open_workspace(pg_url)
    try:
        assert ws.backend == "postgresql"
        current, head = db.schema_status(ws.engine)
        assert current == head
        assert db.upgrade(ws.engine) == (head, head)
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        with ws.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        ws.dispose()
