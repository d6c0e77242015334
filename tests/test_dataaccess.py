"""The data-access layer gives the same columns and writes on SQLite and PostgreSQL, inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, text

from planner import dataaccess as da
from planner.db import open_workspace
from planner.models import ImportBatch, Post
from planner.postkeys import author_key_of, text_hash_of
from tests.conftest import workspace_url

T0 = datetime(2026, 11, 3, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """A migrated workspace on each database (PostgreSQL skipped where no server runs, outside CI)."""
    url = workspace_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("pg_url")
    ws = open_workspace(url)
    yield ws
    ws.dispose()


def _posts(session, n: int = 3) -> list[int]:
    batch = ImportBatch(filename="t", format="t", platform="x")
    session.add(batch)
    session.flush()
    posts = [
        Post(
            platform="x",
            external_id=f"e{i}",
            author_id=f"a{i % 2}",
            created_at=T0 + timedelta(seconds=90 * i, microseconds=i),
            text=f"Same @someone text {i % 2}",
            batch_id=batch.id,
        )
        for i in range(n)
    ]
    session.add_all(posts)
    session.flush()
    return [p.id for p in posts]


def test_micros_keeps_the_second_of_a_time_late_in_it(db):
    with db.session() as s:
        name = da.dialect(s)
        stamp = "'2026-11-01 12:00:01.999999'" if name == "sqlite" else "TIMESTAMPTZ '2026-11-01 12:00:01.999999+00'"
        got = da.read_ints(s, f"SELECT {da.micros(stamp, name)} AS t", ["t"])
    expected = datetime(2026, 11, 1, 12, 0, 1, 999999, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    assert got.tolist() == [[expected // timedelta(microseconds=1)]]


def test_read_ints_sees_uncommitted_rows_with_exact_micros(db):
    with db.session() as s:
        ids = _posts(s)  # flushed, not committed: the read must go through the same transaction
        name = da.dialect(s)
        sql = (
            f"SELECT id, {da.micros('created_at', name)} AS t, text_hash AS h, author_key AS a FROM posts "
            "WHERE created_at >= :since ORDER BY id"
        )
        rows = da.read_ints(s, sql, ["id", "t", "h", "a"], {"since": T0 + timedelta(seconds=1)})
        expected_t = [
            int((T0 - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1)) + 90_000_001 * i for i in (1, 2)
        ]
        assert rows[:, 0].tolist() == ids[1:]
        assert rows[:, 1].tolist() == expected_t
        assert rows[:, 2].tolist() == [text_hash_of("same text 1"), text_hash_of("same text 0")]
        assert rows[:, 3].tolist() == [author_key_of("x", "a1"), author_key_of("x", "a0")]
        s.rollback()
        assert da.read_ints(s, "SELECT id FROM posts", ["id"]).shape == (0, 1)


def test_time_bucket_floors_to_the_bucket_start(db):
    with db.session() as s:
        _posts(s)
        name = da.dialect(s)
        rows = da.read_ints(s, f"SELECT {da.time_bucket('created_at', 3600, name)} AS b FROM posts ORDER BY id", ["b"])
        hour = int(datetime(2026, 11, 3, 9, tzinfo=UTC).timestamp()) * 1_000_000
        assert rows[:, 0].tolist() == [hour, hour, hour]


def test_insert_rows_in_bulk_then_skip_and_upsert_on_conflict(db):
    with db.session() as s:
        batch = ImportBatch(filename="t", format="t", platform="x")
        s.add(batch)
        s.flush()
        n = 1000
        rows = {
            "platform": ["x"] * n,
            "external_id": [f"e{i}" for i in range(n)],
            "author_id": pd.Series([f"a{i % 7}" for i in range(n)]),
            "created_at": pd.Series(pd.date_range("2026-11-01", periods=n, freq="s", tz="UTC")),
            "text": ['it\'s 100% "quoted"\ttab\nline'] * n,
            "likes": pd.Series([None, 3] * (n // 2), dtype="Int64"),
            "batch_id": np.full(n, batch.id),
            **{c: [""] * n for c in ("author_handle", "author_name", "lang", "hashtags", "urls", "mentions", "url")},
        }
        da.insert_rows(s, "posts", rows)
        again = {k: v[:10] for k, v in rows.items()} | {"author_id": pd.Series(["changed"] * 10)}
        da.insert_rows(s, "posts", again, conflict=["platform", "external_id"])
        assert s.scalar(select(Post.author_id).where(Post.external_id == "e0")) == "a0"
        da.insert_rows(s, "posts", again, conflict=["platform", "external_id"], update=["author_id"])
        s.commit()
        stored = s.execute(select(Post).where(Post.external_id.in_(["e0", "e1", "e999"])).order_by(Post.id)).scalars()
        stored = list(stored)
        assert [p.author_id for p in stored] == ["changed", "changed", "a5"]
        assert stored[2].created_at == datetime(2026, 11, 1, 0, 16, 39, tzinfo=UTC)
        assert [p.likes for p in stored] == [None, 3, 3]
        assert stored[0].text == 'it\'s 100% "quoted"\ttab\nline'
        assert s.scalar(text("SELECT count(*) FROM posts")) == n


def test_integer_columns_go_in_bulk_and_roll_back_with_the_session(db):
    with db.session() as s:
        s.execute(text("CREATE TABLE pairs (a BIGINT NOT NULL, b BIGINT NOT NULL)"))
        s.commit()
        a = np.arange(-5, 250_000, dtype=np.int64) * 1_000_003
        da.insert_rows(s, "pairs", {"a": a, "b": a[::-1].copy()})
        back = da.read_ints(s, "SELECT a, b FROM pairs ORDER BY a", ["a", "b"])
        assert np.array_equal(back[:, 0], a) and np.array_equal(back[:, 1], a[::-1])
        s.rollback()
        assert s.scalar(text("SELECT count(*) FROM pairs")) == 0


def test_json_text_reads_a_key(db):
    with db.session() as s:
        batch = ImportBatch(filename="t", format="t", platform="x", options='{"tz": "Europe/Paris", "n": 3}')
        s.add(batch)
        s.flush()
        expr = da.json_text(da.dialect(s), "options", "tz")
        assert s.scalar(text(f"SELECT {expr} FROM import_batches")) == "Europe/Paris"
        with pytest.raises(ValueError):
            da.json_text(da.dialect(s), "options", "tz'; --")


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        da.db_value("sqlite", datetime(2026, 1, 1))


def test_utc_texts_converts_zones_and_keeps_microseconds_and_missing_values():
    stamps = pd.Series(
        pd.to_datetime(
            ["2026-03-29 03:30:00.000001+02:00", "1969-12-31 23:59:59.999999+00:00", None, "0001-01-01 00:00:00+00:00"],
            utc=True,
            format="ISO8601",
        )
    )
    assert da.utc_texts(stamps) == [
        "2026-03-29 01:30:00.000001",
        "1969-12-31 23:59:59.999999",
        None,
        "0001-01-01 00:00:00.000000",
    ]
    paris = pd.Series(pd.date_range("2026-01-01", periods=2, freq="s", tz="Europe/Paris"))
    assert da.utc_texts(paris) == ["2025-12-31 23:00:00.000000", "2025-12-31 23:00:01.000000"]
