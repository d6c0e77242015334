"""Bulk writes on SQLite and PostgreSQL: inserted counts, conflicts skipped, secondary indexes dropped and rebuilt."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from planner import dataaccess
from planner.db import open_workspace
from tests.conftest import workspace_url

COLUMNS = ("platform", "external_id", "author_id", "created_at", "text", "batch_id")
EMPTY = ("author_handle", "author_name", "lang", "hashtags", "urls", "mentions", "url")


def _rows(ids, text="words"):
    return [("x", str(i), f"u{i % 3}", f"2026-11-01 00:00:{i % 60:02d}.000000", text, 1, *[""] * 7) for i in ids]


def _batch(conn):
    conn.exec_driver_sql(
        "INSERT INTO import_batches (id, created_at, filename, format, platform, rows_read, imported, duplicates, "
        "rejected, pseudonymised, options) VALUES (1, '2026-11-28 00:00:00', 'f', 'csv', 'x', 0, 0, 0, 0, false, '{}')"
    )


def _check_insert_and_indexes(ws):
    with ws.session() as session:
        conn = session.connection()
        _batch(conn)
        assert (
            dataaccess.insert_tuples(conn, "posts", COLUMNS + EMPTY, iter(_rows(range(5))), ("platform", "external_id"))
            == 5
        )
        # Stored ids and repeats inside one call are skipped; the first of a repeat wins.
        again = _rows([3, 4, 5, 6, 6]) + _rows([7], text="first") + _rows([7], text="second")
        assert dataaccess.insert_tuples(conn, "posts", COLUMNS + EMPTY, again, ("platform", "external_id")) == 3
        texts = conn.exec_driver_sql("SELECT external_id, text FROM posts ORDER BY id").all()
        assert [t[0] for t in texts] == ["0", "1", "2", "3", "4", "5", "6", "7"] and texts[-1][1] == "first"
        stamp = conn.exec_driver_sql("SELECT created_at FROM posts WHERE external_id = '5'").scalar()
        assert str(stamp).startswith("2026-11-01 00:00:05")

        before = {ix["name"]: ix["unique"] for ix in inspect(conn).get_indexes("posts")}
        assert {"ix_posts_created_at", "ix_posts_author", "ix_posts_batch"} <= set(before)
        statements = dataaccess.drop_secondary_indexes(conn, "posts")
        assert len(statements) == len([u for u in before.values() if not u]) >= 3
        left = {ix["name"] for ix in inspect(conn).get_indexes("posts")}
        assert not left & {"ix_posts_created_at", "ix_posts_author", "ix_posts_batch"}
        assert (
            dataaccess.insert_tuples(conn, "posts", COLUMNS + EMPTY, _rows(range(8, 20)), ("platform", "external_id"))
            == 12
        )
        dataaccess.rebuild_indexes(conn, statements)
        assert {ix["name"]: ix["unique"] for ix in inspect(conn).get_indexes("posts")} == before
        with pytest.raises(Exception, match="(?i)not.null"):  # only key conflicts are skipped, never bad rows
            dataaccess.insert_tuples(conn, "posts", COLUMNS, [_rows([99])[0][:6]], ("platform", "external_id"))
        session.rollback()
        with pytest.raises(ValueError, match="plain SQL name"):
            dataaccess.insert_tuples(session.connection(), "posts; drop", COLUMNS, [], ("platform",))


def test_sqlite(tmp_path):
    ws = open_workspace(workspace_url(tmp_path, "b"))
    try:
        _check_insert_and_indexes(ws)
    finally:
        ws.dispose()


@pytest.mark.postgres
def test_postgres(pg_url):
    ws = open_workspace(pg_url)
    try:
        _check_insert_and_indexes(ws)
        with ws.session() as session:  # the rolled-back load left nothing, the staging table included
            conn = session.connection()
            assert conn.exec_driver_sql("SELECT count(*) FROM posts").scalar() == 0
            assert conn.exec_driver_sql("SELECT to_regclass('pg_temp._bulk_posts')").scalar() is None
    finally:
        ws.dispose()
