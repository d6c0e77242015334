"""Audit log: entries written with changes, filters, and the database refusing edits and deletes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from planner import audit, auth
from planner.models import utcnow


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
