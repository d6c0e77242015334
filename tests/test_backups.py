"""Backup and restore: a round trip through the CLI, and refusals of files that are not workspaces or too new."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from planner import audit, auth, backups, db
from planner.cli import cli
from tests.conftest import PASSWORD

# Backups copy the SQLite file; on PostgreSQL they are pg_dump's (tests/test_postgres_flows.py).
pytestmark = pytest.mark.sqlite_only

CSV = "id,date,text\n1,2026-11-01T00:00:00Z,lantern walk\n2,2026-11-01T00:00:05Z,market day\n"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PLANNER_DATABASE_URL", raising=False)
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(cli, list(args), catch_exceptions=False, **kw)


def _users(run):
    return [line.split(",")[0] for line in run("users", "list", "--format", "csv").output.splitlines()[1:]]


def test_backup_restore_round_trip(run, tmp_path):
    posts = tmp_path / "posts.csv"
    posts.write_text(CSV, encoding="utf-8")
    assert run("users", "add", "ada", "--role", "admin", "--password", PASSWORD).exit_code == 0
    assert run("import-posts", "--platform", "x", str(posts)).exit_code == 0
    copy = tmp_path / "backups" / "monday.db"
    assert run("backup", str(copy)).exit_code == 0
    assert copy.stat().st_size > 0

    assert run("users", "add", "late", "--role", "viewer", "--password", PASSWORD).exit_code == 0
    assert run("posts", "count").output.strip() == "2"
    refused = run("restore", str(copy), input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert "late" in _users(run)

    result = run("restore", "--yes", str(copy))
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "Audit log: OK:" in result.output
    assert run("posts", "count").output.strip() == "2"
    assert _users(run) == ["ada"]
    safety = next((tmp_path / "data").glob("counterpoint.before-restore-*.db"))
    ws = db.open_workspace(f"sqlite:///{safety}")
    with ws.session() as s:
        assert [u.username for u in auth.list_users(s)] == ["ada", "late"]
    ws.dispose()
    ws = db.open_workspace(f"sqlite:///{tmp_path / 'data' / 'counterpoint.db'}")
    with ws.session() as s:
        newest = audit.entries(s, limit=1).iloc[0]
        assert newest["action"] == "workspace.restore" and "monday.db" in newest["summary"]
        assert audit.verify(s).ok
    ws.dispose()


def _current_users(tmp_path):
    conn = sqlite3.connect(tmp_path / "data" / "counterpoint.db")
    try:
        return [r[0] for r in conn.execute("SELECT username FROM users ORDER BY id")]
    finally:
        conn.close()


def test_restore_refuses_a_file_that_is_not_a_workspace(run, tmp_path):
    run("users", "add", "ada", "--role", "admin", "--password", PASSWORD)
    text = tmp_path / "notes.db"
    text.write_text("meeting notes, not a database", encoding="utf-8")
    result = run("restore", "--yes", str(text))
    assert result.exit_code == 1
    assert "not a Counterpoint workspace (not an SQLite database)" in result.output
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    result = run("restore", "--yes", str(other))
    assert result.exit_code == 1 and "not a Counterpoint workspace (no alembic_version, audit_log" in result.output
    assert _current_users(tmp_path) == ["ada"]
    assert not list((tmp_path / "data").glob("*before-restore*"))


def test_restore_refuses_a_newer_schema(run, tmp_path):
    run("users", "add", "ada", "--role", "admin", "--password", PASSWORD)
    copy = tmp_path / "future.db"
    run("backup", str(copy))
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.commit()
    conn.close()
    run("users", "add", "bea", "--role", "viewer", "--password", PASSWORD)
    result = run("restore", "--yes", str(copy))
    assert result.exit_code == 1
    assert "written by a newer Counterpoint (schema '0099_from_the_future'" in result.output
    assert _current_users(tmp_path) == ["ada", "bea"]


def test_restore_migrates_an_older_schema(tmp_path):
    from alembic import command

    old = tmp_path / "old.db"
    engine = db.create_db_engine(f"sqlite:///{old}")
    cfg = db._alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011_briefs")
    engine.dispose()
    assert backups.check_backup(old) == "0011_briefs"
    live = db.open_workspace(f"sqlite:///{tmp_path / 'live.db'}")
    done = backups.restore_sqlite(live.engine, auth.CLI_ACTOR, old, tmp_path / "safety.db")
    assert (done.revision, done.head) == ("0011_briefs", db.schema_status(live.engine)[1])
    assert db.schema_status(live.engine)[0] == done.head
    with live.session() as s:
        assert audit.verify(s).ok and audit.count(s) == 1
    live.dispose()


def test_only_admins_restore(session, ws, reviewer, tmp_path):
    with pytest.raises(auth.PermissionDenied):
        backups.restore_sqlite(ws.engine, reviewer, tmp_path / "x.db", tmp_path / "safety.db")


def test_new_workspaces_use_large_pages_and_restore_takes_a_backup_with_small_ones(tmp_path):
    live = db.open_workspace(f"sqlite:///{tmp_path / 'live.db'}")
    with live.session() as s, db.atomic(s):
        auth.create_user(s, auth.CLI_ACTOR, "ada", PASSWORD, "admin")
    conn = sqlite3.connect(tmp_path / "live.db")
    assert conn.execute("PRAGMA page_size").fetchone()[0] == db.SQLITE_PAGE_SIZE == 16384
    # A backup from a workspace made before Counterpoint chose large pages: the same rows in 4 KiB pages.
    old = tmp_path / "old.db"
    conn.execute(f"VACUUM INTO '{old}'")
    conn.close()
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA page_size=4096")
    conn.execute("VACUUM")
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    conn.close()
    with live.session() as s, db.atomic(s):
        auth.create_user(s, auth.CLI_ACTOR, "late", PASSWORD, "viewer")
    done = backups.restore_sqlite(live.engine, auth.CLI_ACTOR, old, tmp_path / "safety.db")
    assert done.revision == done.head
    with live.session() as s:
        assert [u.username for u in auth.list_users(s)] == ["ada"]
        assert s.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert audit.verify(s).ok
    live.dispose()
