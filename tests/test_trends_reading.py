"""Reading posts as columns: the same values, order and time filter as the ORM, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import select

from planner.db import open_workspace
from planner.models import ImportBatch, Post
from planner.trends.reading import POST_COLUMNS, count_posts, read_posts, stream_posts

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


def test_read_posts_matches_the_orm_on_sqlite(session):
    _check(session)


def test_read_posts_matches_the_orm_on_postgresql(pg_url):
    workspace = open_workspace(pg_url)
    try:
        with workspace.session() as session:
            _check(session)
    finally:
        workspace.dispose()


def test_read_posts_of_an_empty_workspace(session):
    frame = read_posts(session)
    assert frame.empty and list(frame.columns) == POST_COLUMNS
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"


def _streamed(session, rows, start=None, end=None) -> pd.DataFrame:
    return pd.concat(list(stream_posts(session, start, end, rows)), ignore_index=True)


def test_stream_posts_gives_the_same_posts_in_chunks(session, pg_url):
    _store(session)
    start = T0 + pd.Timedelta(seconds=1)
    assert [len(c) for c in stream_posts(session, None, None, 4)] == [4, 2]
    pd.testing.assert_frame_equal(_streamed(session, 4), read_posts(session))
    pd.testing.assert_frame_equal(_streamed(session, 1, start), read_posts(session, start))
    assert count_posts(session) == 6 and count_posts(session, start) == 3
    workspace = open_workspace(pg_url)
    try:
        with workspace.session() as pg:
            _store(pg)
            pd.testing.assert_frame_equal(_streamed(pg, 4), read_posts(pg))
            pd.testing.assert_frame_equal(_streamed(pg, 4), read_posts(session))  # the same on both databases
    finally:
        workspace.dispose()
