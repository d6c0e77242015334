"""Reading posts as columns: the same values, order and time filter as the ORM, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
from sqlalchemy import func, select

from planner import dataaccess
from planner.db import open_workspace
from planner.models import ImportBatch, Post
from planner.trends import reading
from planner.trends.reading import POST_COLUMNS, count_posts, read_posts, scan_posts

T0 = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)


def _store(session) -> None:
    batch = ImportBatch(filename="t", format="csv", platform="x")
    session.add(batch)
    session.flush()
    offsets_us = [5_999_999, 0, 3_600_000_000, 999_999, 0, 7_200_000_001]  # out of order, a tie at T0
    for n, us in enumerate(offsets_us):
        session.add(
            Post(
                id=100 - n,  # ids against the time order, so the (created_at, id) sort is tested
                platform="x",
                external_id=f"e{n}",
                author_id=f"a{n % 2}",
                author_handle="" if n == 3 else f"h{n % 2}",
                created_at=T0 + pd.Timedelta(microseconds=us).to_pytimedelta(),
                text=f"ünïcode text {n} \u202e #tag{n}",
                lang="en" if n else "",
                hashtags=f"tag{n}",
                urls="https://x.example/a" if n % 2 else "",
                likes=None if n == 2 else n,
                reposts=n * 2,
                batch_id=batch.id,
            )
        )
    # Not flushed on purpose: reading must see pending posts as the ORM query did.


def _orm(session, start=None, end=None) -> pd.DataFrame:
    stmt = select(*(getattr(Post, c) for c in POST_COLUMNS)).order_by(Post.created_at, Post.id)
    if start is not None:
        stmt = stmt.where(Post.created_at >= start)
    if end is not None:
        stmt = stmt.where(Post.created_at < end)
    return pd.DataFrame(session.execute(stmt).all(), columns=POST_COLUMNS)


def _check(session) -> None:
    _store(session)
    _compare(session)
    session.commit()  # committed: read through ADBC (another connection), the same values
    _compare(session)


def _compare(session) -> None:
    cases = [(None, None), (T0, None), (None, T0 + pd.Timedelta(hours=1)), (T0 + pd.Timedelta(seconds=1), None)]
    for start, end in cases:
        got = read_posts(session, start, end)
        want = _orm(session, start, end)
        assert list(got.columns) == POST_COLUMNS
        assert got["id"].tolist() == want["id"].tolist()
        assert [t.to_pydatetime() for t in got["created_at"]] == want["created_at"].tolist()  # microseconds kept
        for name in ("author_id", "author_handle", "text", "lang", "hashtags", "urls"):
            assert got[name].tolist() == want[name].tolist()
        assert got["likes"].fillna(-1).tolist() == want["likes"].fillna(-1).tolist()
        assert got["reposts"].tolist() == want["reposts"].tolist()
    every = read_posts(session)
    assert every["id"].tolist() == [96, 99, 97, 100, 98, 95]  # (created_at, id) with the tie at T0 by id
    assert str(every["created_at"].dt.tz) == "UTC"
    assert len(read_posts(session, T0 + pd.Timedelta(days=1))) == 0


def _count_adbc(monkeypatch) -> list:
    monkeypatch.setattr(reading, "ADBC_MIN_POSTS", 0)  # these few posts too
    calls = []
    real = dataaccess._adbc_batches

    def spy(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(dataaccess, "_adbc_batches", spy)
    return calls


def test_read_posts_matches_the_orm(session, monkeypatch):
    adbc = _count_adbc(monkeypatch)
    _check(session)
    # only the reads after the commit: uncommitted posts need the session's cursor
    assert adbc == [dataaccess.dialect(session)] * 6


def test_read_posts_matches_the_orm_on_postgresql(pg_url, monkeypatch):
    adbc = _count_adbc(monkeypatch)
    workspace = open_workspace(pg_url)
    try:
        with workspace.session() as session:
            _check(session)
        assert adbc == ["postgresql"] * 6
    finally:
        workspace.dispose()


def test_a_few_posts_are_read_through_the_session_cursor(session, monkeypatch):
    adbc = _count_adbc(monkeypatch)
    monkeypatch.setattr(reading, "ADBC_MIN_POSTS", 7)
    _store(session)
    session.commit()
    assert len(read_posts(session)) == 6 and adbc == []  # 6 posts: below the threshold
    monkeypatch.setattr(reading, "ADBC_MIN_POSTS", 6)
    assert len(read_posts(session)) == 6 and adbc == [dataaccess.dialect(session)]


def test_read_posts_of_an_empty_workspace(session):
    frame = read_posts(session)
    assert frame.empty and list(frame.columns) == POST_COLUMNS
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"


def _scanned(session, rows, start=None, end=None) -> tuple[list[list[int]], pd.DataFrame]:
    """Return (the chunk sizes of every pass scan_posts made, the posts of its last pass)."""
    passes = []

    def consume(chunks):
        passes.append([])
        tables = []
        for chunk in chunks:
            passes[-1].append(len(chunk))
            tables.append(chunk)
        return reading.frame(pa.concat_tables(tables)) if tables else read_posts(session, start, end).iloc[:0]

    return passes, scan_posts(session, consume, start, end, rows)


def test_scan_posts_gives_the_posts_of_read_posts_in_chunks(session, pg_url, monkeypatch):
    _store(session)  # stored against the time order
    start = T0 + pd.Timedelta(seconds=1)
    passes, posts = _scanned(session, 4)
    # SQLite sees it from a sample and reads in time order at once; PostgreSQL's first pass in storage order stops
    # at the first post out of order, and a second pass sorts them in memory.
    assert passes == ([[4, 2]] if dataaccess.dialect(session) == "sqlite" else [[], [4, 2]])
    pd.testing.assert_frame_equal(posts, read_posts(session))
    pd.testing.assert_frame_equal(_scanned(session, 1, start)[1], read_posts(session, start))
    monkeypatch.setattr(reading, "SORT_IN_MEMORY", 0)  # many posts: sorted by the database
    pd.testing.assert_frame_equal(_scanned(session, 4)[1], read_posts(session))
    assert count_posts(session) == 6 and count_posts(session, start) == 3
    workspace = open_workspace(pg_url)
    try:
        with workspace.session() as pg:
            _store(pg)
            pd.testing.assert_frame_equal(_scanned(pg, 4)[1], read_posts(pg))
            pd.testing.assert_frame_equal(_scanned(pg, 4)[1], read_posts(session))  # the same on both databases
    finally:
        workspace.dispose()


def test_posts_out_of_order_after_the_sample_are_read_again_in_time_order(session, monkeypatch):
    """The sample (the first ORDER_SAMPLE posts) is only a guess: a post out of order later stops the first pass."""
    monkeypatch.setattr(reading, "ORDER_SAMPLE", 2)
    monkeypatch.setattr(reading, "SORT_IN_MEMORY", 0)  # the database sorts, on PostgreSQL too
    batch = ImportBatch(filename="t", format="csv", platform="x")
    session.add(batch)
    session.flush()
    for n, minutes in enumerate([0, 1, 2, 9, 3, 4, 5]):  # the fourth post stored is the latest
        stamp = T0 + pd.Timedelta(minutes=minutes).to_pytimedelta()
        session.add(
            Post(id=n + 1, platform="x", external_id=f"e{n}", created_at=stamp, text=f"t{n}", batch_id=batch.id)
        )
    session.commit()
    passes, posts = _scanned(session, 2)
    assert passes == [[], [2, 2, 2, 1]]  # the first pass stopped at the batch holding the late post
    assert posts["id"].tolist() == [1, 2, 3, 5, 6, 7, 4]


def test_scan_posts_reads_posts_stored_in_time_order_once(session):
    batch = ImportBatch(filename="t", format="csv", platform="x")
    session.add(batch)
    session.flush()
    for n in range(5):
        stamp = T0 + pd.Timedelta(minutes=n // 2).to_pytimedelta()  # ties by time, in id order
        session.add(
            Post(id=n + 1, platform="x", external_id=f"e{n}", created_at=stamp, text=f"t{n}", batch_id=batch.id)
        )
    session.commit()
    passes, posts = _scanned(session, 2)
    assert passes == [[2, 2, 1]]
    assert posts["id"].tolist() == [1, 2, 3, 4, 5]


def test_each_read_sees_the_posts_committed_before_it(session, monkeypatch):
    # ADBC's SQLite runs in a process of its own: in this one, closing its file would drop this process's locks
    # on the workspace and leave the session's connection reading a stale index.
    adbc = _count_adbc(monkeypatch)
    _store(session)
    session.commit()
    assert len(read_posts(session)) == 6
    batch = session.scalar(select(ImportBatch))
    session.add(Post(id=200, platform="x", external_id="new", created_at=T0, text="late", batch_id=batch.id))
    session.commit()
    assert read_posts(session)["id"].tolist() == [96, 99, 200, 97, 100, 98, 95]
    assert session.scalar(select(func.count()).select_from(Post)) == 7  # the session's connection still reads
    assert adbc == [dataaccess.dialect(session)] * 2
