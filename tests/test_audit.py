"""Audit log: entries written with changes, filters, and the database refusing edits and deletes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from planner import audit, auth
from planner.models import utcnow
from tests.conftest import engine_at_revision, workspace_url


def test_entries_and_filters(session, admin, drafter):
    auth.set_role(session, admin, "dora", "reviewer")
    all_entries = audit.entries(session)
    assert list(all_entries["action"]) == ["user.set_role", "user.create", "user.create"]
    assert audit.count(session, audit.AuditFilter(actor_name="ada")) == 1
    assert audit.count(session, audit.AuditFilter(action_prefix="user.")) == 3
    assert audit.count(session, audit.AuditFilter(action_prefix="login.")) == 0
    assert audit.count(session, audit.AuditFilter(since=utcnow() + timedelta(minutes=1))) == 0
    first = audit.entries(session, limit=1, offset=2)
    assert first.iloc[0]["summary"] == "created 'ada' with role admin"
    assert audit.facets(session) == {"actors": ["ada", "cli"], "action_families": ["user"], "object_types": ["user"]}


def test_summary_is_truncated(session, admin):
    audit.record(session, admin, "x.y", "thing", 1, "z" * 5000)
    session.commit()
    assert len(audit.entries(session, limit=1).iloc[0]["summary"]) == audit.SUMMARY_MAX


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET summary = 'forged'", "DELETE FROM audit_log"])
def test_database_refuses_edits(session, admin, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert audit.count(session) == 1


@pytest.mark.postgres
def test_postgres_refuses_edits(pg_url):
    from planner.db import open_workspace

    ws = open_workspace(pg_url)
    try:
        with ws.session() as s:
            auth.create_first_admin(s, "ada", "correct horse battery")
            with pytest.raises(DBAPIError, match="append-only"):
                s.execute(text("DELETE FROM audit_log"))
            s.rollback()
            assert audit.count(s) == 1
    finally:
        ws.dispose()


def test_readable_entries_are_sentences_naming_objects(session, admin, drafter):
    auth.set_role(session, admin, "dora", "reviewer")
    frame = audit.readable(session, audit.entries(session))
    assert list(frame.columns) == ["at", "actor", "what", "details"]
    assert frame["what"].tolist() == [
        "ada changed the role of user dora to reviewer",
        "cli added user dora",
        "cli added user ada",
    ]
    assert frame["details"].iloc[0] == "dora: role drafter → reviewer"


# ---- tamper evidence: no REPLACE, a hash chain, verify -------------------------------------------------------


@pytest.mark.sqlite_only  # PostgreSQL: test_postgres_chain_and_no_replace_or_truncate
def test_insert_or_replace_cannot_overwrite_an_entry(session, admin):
    entry_id = int(audit.entries(session, limit=1).iloc[0]["id"])
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(
            text(
                "INSERT OR REPLACE INTO audit_log (id, at, actor_name, action, object_type, object_id, summary, hash) "
                "VALUES (:id, '2026-01-01 00:00:00', 'forger', 'user.create', 'user', '1', 'forged', '')"
            ),
            {"id": entry_id},
        )
    session.rollback()
    assert audit.entries(session, limit=1).iloc[0]["summary"] == "created 'ada' with role admin"
    assert audit.verify(session).ok


def test_chain_verifies_and_head_moves(session, admin, drafter):
    first = audit.verify(session)
    assert first.ok and first.count == 2 and len(first.head) == 64
    auth.set_role(session, admin, "dora", "reviewer")
    second = audit.verify(session)
    assert second.ok and second.count == 3 and second.head != first.head
    assert audit.chain_head(session) == (3, second.head)
    assert second.line() == f"OK: 3 audit entries, chain head {second.head}"


def _raw_sqlite(ws):
    import sqlite3

    return sqlite3.connect(ws.engine.url.database)


@pytest.mark.sqlite_only  # tampers through the SQLite file
@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET summary = 'forged' WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 2",
        "INSERT INTO audit_log (id, at, actor_name, action, object_type, object_id, summary, hash) "
        "VALUES (99, '2026-01-01 00:00:00', 'x', 'y', 'z', '', '', '')",
    ],
)
def test_verify_names_the_first_broken_link(ws, session, admin, drafter, viewer, tamper):
    conn = _raw_sqlite(ws)
    conn.execute("DROP TRIGGER audit_log_no_update")  # someone with the file and a SQLite shell
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute(tamper)
    conn.commit()
    conn.close()
    report = audit.verify(session)
    assert not report.ok
    expected = 99 if tamper.startswith("INSERT") else (2 if tamper.startswith("UPDATE") else 3)
    assert report.broken_id == expected
    assert report.line().startswith(f"BROKEN at audit entry {expected}:")


@pytest.mark.sqlite_only
def test_cli_audit_verify(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from planner.cli import cli

    monkeypatch.setenv("PLANNER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PLANNER_DATABASE_URL", raising=False)
    runner = CliRunner()
    runner.invoke(cli, ["users", "add", "ada", "--role", "admin", "--password", "correct horse battery"])
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0 and ok.output.startswith("OK: 1 audit entries, chain head ")
    import sqlite3

    conn = sqlite3.connect(tmp_path / "data" / "counterpoint.db")
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor_name = 'someone else'")
    conn.commit()
    conn.close()
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at audit entry 1" in broken.output


def test_migration_backfills_the_chain_without_losing_entries(tmp_path):
    from planner import db

    engine = engine_at_revision(tmp_path, "0011_briefs")
    with engine.begin() as conn:
        for i in range(5):
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor_name, action, object_type, object_id, summary) "
                    "VALUES (:at, 'cli', 'user.create', 'user', :i, :s)"
                ),
                {"at": f"2026-11-0{i + 1} 10:00:00.000000", "i": str(i), "s": f"entry {i}"},
            )
    db.upgrade(engine)
    ws = db.open_workspace(engine.url.render_as_string(hide_password=False))
    with ws.session() as s:
        report = audit.verify(s)
        assert report.ok and report.count == 5
        assert sorted(audit.entries(s)["summary"]) == [f"entry {i}" for i in range(5)]
        auth.create_first_admin(s, "ada", "correct horse battery")
        assert audit.verify(s).count == 6
        with pytest.raises(DBAPIError, match="append-only"):
            s.execute(text("UPDATE audit_log SET summary = 'x'"))
    ws.dispose()
    engine.dispose()


def test_brief_appendix_quotes_the_chain_head(session, admin):
    from planner.briefs import sections

    head = audit.verify(session).head
    built = sections.build_appendix(session, None, None)
    facts = [b for b in built["blocks"] if type(b).__name__ == "Facts"][-1]
    assert ("Chain head", head) in [tuple(item) for item in facts.items]


@pytest.mark.postgres
def test_postgres_chain_and_no_replace_or_truncate(pg_url):
    from planner.db import open_workspace

    ws = open_workspace(pg_url)
    try:
        with ws.session() as s:
            admin = auth.actor_for(auth.create_first_admin(s, "ada", "correct horse battery"))
            auth.create_user(s, admin, "rhea", "correct horse battery", auth.Role.REVIEWER)
            assert audit.verify(s).ok and audit.verify(s).count == 2
            for statement in (
                "INSERT INTO audit_log (id, at, actor_name, action, object_type, object_id, summary, hash) "
                "VALUES (1, now(), 'x', 'y', 'z', '', '', '') "
                "ON CONFLICT (id) DO UPDATE SET summary = 'forged'",
                "TRUNCATE audit_log",
                "UPDATE audit_log SET summary = 'forged'",
            ):
                with pytest.raises(DBAPIError, match="append-only"):
                    s.execute(text(statement))
                s.rollback()
            assert audit.verify(s).count == 2
            s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            s.execute(text("UPDATE audit_log SET summary = 'forged' WHERE id = 2"))
            s.commit()
            assert audit.verify(s).broken_id == 2
    finally:
        ws.dispose()


def test_chain_migration_downgrades_and_upgrades_without_loss(tmp_path):
    from alembic import command

    from planner import db

    ws = db.open_workspace(workspace_url(tmp_path))
    with ws.session() as s:
        auth.create_first_admin(s, "ada", "correct horse battery")
        auth.create_user(s, auth.actor_for(auth.get_user(s, "ada")), "rhea", "correct horse battery", "reviewer")
    cfg = db._alembic_config()
    with ws.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011_briefs")
    with ws.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 2
        for statement in ("UPDATE audit_log SET summary = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
            conn.rollback()
    db.upgrade(ws.engine)
    with ws.session() as s:
        assert audit.verify(s).count == 2 and audit.verify(s).ok
    ws.dispose()
