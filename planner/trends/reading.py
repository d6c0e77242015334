"""Read the monitored posts detection needs as Arrow columns, filtered in SQL, in (created_at, id) order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import dataaccess
from planner.models import Post

# Columns detection reads, in this order (created_at UTC, microsecond precision; likes and reposts NaN when unknown).
POST_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("author_id", pa.large_string()),
        ("author_handle", pa.large_string()),
        ("text", pa.large_string()),
        ("lang", pa.large_string()),
        ("hashtags", pa.large_string()),
        ("urls", pa.large_string()),
        ("likes", pa.float64()),
        ("reposts", pa.float64()),
    ]
)
POST_COLUMNS = POST_SCHEMA.names
# Rows per chunk of scan_posts, unless told.
CHUNK_ROWS = 100_000
# Up to this many posts, posts not stored in time order are sorted in memory on PostgreSQL; beyond, and always on
# SQLite, the database reads them in time order (through the created_at index; ADBC's reader maps the file into
# memory, so that costs it about 1 s per million posts more than a scan in storage order, and the posts are
# tokenised as they come, instead of after all are read).
SORT_IN_MEMORY = 2_000_000
# Posts compared to tell, before reading, whether the posts are stored in time order.
ORDER_SAMPLE = 1000

T = TypeVar("T")


class OutOfOrder(Exception):
    """The posts did not come in (created_at, id) order."""


def _sql(
    dialect: str, start: datetime | None, end: datetime | None, ordered: bool, columns: str = ", ".join(POST_COLUMNS)
) -> tuple[str, dict]:
    where, params = [], {}
    if start is not None:
        where.append("created_at >= :start")
        params["start"] = start
    if end is not None:
        # On SQLite the unary plus keeps the planner off the created_at index for the end bound, which usually
        # holds every post: a plain table scan is several times faster than a lookup per row through the index.
        where.append(f"{'+' if dialect == 'sqlite' else ''}created_at < :end")
        params["end"] = end
    sql = f"SELECT {columns} FROM posts" + (" WHERE " + " AND ".join(where) if where else "")
    return sql + (" ORDER BY created_at, id" if ordered else ""), params


# Fewer posts than this are read through the session's cursor: ADBC's SQLite reader is a process of its own, which
# costs ~0.3 s to start (49,431 demo posts: 0.53 s through it, 0.43 s through the cursor).
ADBC_MIN_POSTS = 100_000


def _batches(
    session: Session, start: datetime | None, end: datetime | None, ordered: bool = False, total: int | None = None
) -> Iterator[pa.RecordBatch]:
    session.flush()  # pending posts must be in the database
    sql, params = _sql(dataaccess.dialect(session), start, end, ordered)
    many = (count_posts(session, start, end) if total is None else total) >= ADBC_MIN_POSTS
    return dataaccess.read_batches(session, sql, POST_SCHEMA, params, adbc=many)


def count_posts(session: Session, start: datetime | None = None, end: datetime | None = None) -> int:
    """Return how many monitored posts were created in [start, end)."""
    stmt = select(func.count()).select_from(Post)
    if start is not None:
        stmt = stmt.where(Post.created_at >= start)
    if end is not None:
        stmt = stmt.where(Post.created_at < end)
    return int(session.scalar(stmt))


def _sort_keys(table: pa.Table | pa.RecordBatch) -> tuple[np.ndarray, np.ndarray]:
    times = table.column("created_at").cast(pa.int64())
    return pc.fill_null(times, 0).to_numpy(), table.column("id").to_numpy()


def _in_order(times: np.ndarray, ids: np.ndarray) -> bool:
    return bool(((times[1:] > times[:-1]) | ((times[1:] == times[:-1]) & (ids[1:] > ids[:-1]))).all())


def read_table(session: Session, start: datetime | None = None, end: datetime | None = None) -> pa.Table:
    """Return the monitored posts created in [start, end) as an Arrow table of POST_SCHEMA, (created_at, id) order."""
    return _sorted(list(_batches(session, start, end)))


def _sorted(batches: list[pa.RecordBatch]) -> pa.Table:
    tables = list(_sorted_chunks(batches, max(sum(map(len, batches)), 1)))
    return pa.concat_tables(tables) if tables else POST_SCHEMA.empty_table()


def _sorted_chunks(batches: list[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Yield the posts of `batches` in (created_at, id) order, `rows` at a time: each chunk is taken when asked for,
    so a consumer working on one chunk while the next is taken never holds a sorted copy of them all."""
    table = pa.Table.from_batches(batches, POST_SCHEMA)
    batches.clear()
    times, ids = _sort_keys(table)
    if _in_order(times, ids):  # the usual storage order: no copy
        yield from _chunks(iter(table.to_batches()), rows)
        return
    order = np.lexsort((ids, times))
    table = table.combine_chunks()
    for first in range(0, len(order), rows):
        yield table.take(order[first : first + rows])


def frame(table: pa.Table) -> pd.DataFrame:
    """Return posts read as Arrow as a pandas frame (text as pandas strings, created_at as UTC datetimes)."""
    return table.to_pandas()


def read_posts(session: Session, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
    """Return the monitored posts created in [start, end) with POST_COLUMNS, ordered by (created_at, id)."""
    return frame(read_table(session, start, end))


def _checked(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Yield `batches`, raising OutOfOrder as soon as a post is not after the one before it."""
    last = None
    for batch in batches:
        if not len(batch):
            continue
        times, ids = _sort_keys(batch)
        if last is not None:
            times, ids = np.concatenate([[last[0]], times]), np.concatenate([[last[1]], ids])
        if not _in_order(times, ids):
            raise OutOfOrder
        last = times[-1], ids[-1]
        yield batch


def _chunks(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Yield the rows of `batches` as tables of `rows` rows (the last one shorter), each one contiguous."""
    held, size = [], 0
    for batch in batches:
        held.append(batch)
        size += len(batch)
        while size >= rows:
            table = pa.Table.from_batches(held, POST_SCHEMA)
            yield table.slice(0, rows).combine_chunks()
            rest = table.slice(rows)
            held, size = rest.to_batches(), len(rest)
    if size:
        yield pa.Table.from_batches(held, POST_SCHEMA).combine_chunks()


def scan_posts(
    session: Session,
    consume: Callable[[Iterator[pa.Table]], T],
    start: datetime | None = None,
    end: datetime | None = None,
    rows: int = CHUNK_ROWS,
    total: int | None = None,
) -> T:
    """Return consume(the posts of read_table as tables of `rows` posts, the last one shorter), never holding all.

    The posts are read in storage order, the fastest scan, while that is their time order (posts imported in time
    order); if they turn out not to be, consume runs again (so it must start afresh each call) over posts sorted in
    memory (up to SORT_IN_MEMORY of them) or by the database. `total`: how many posts the range holds, when the
    caller has counted them already.
    """
    if total is None:
        total = count_posts(session, start, end)
    by_database = dataaccess.dialect(session) == "sqlite" or total > SORT_IN_MEMORY

    def in_time_order() -> T:
        return consume(_chunks(_batches(session, start, end, ordered=True, total=total), rows))

    if by_database and not _stored_in_time_order(session, start, end):
        return in_time_order()
    source, seen = _batches(session, start, end, total=total), []
    try:
        return consume(_chunks(_checked(_kept(source, seen, 2 * rows)), rows))
    except OutOfOrder:
        pass
    if by_database:
        source.close()
        return in_time_order()
    # Posts out of order early in the scan (the usual case: imported newest first, or mixed) are the rest of the
    # same scan, sorted in memory; later, a new scan.
    if seen and seen[-1] is None:
        source.close()
        source, seen = _batches(session, start, end, total=total), []
    return consume(_sorted_chunks([*seen, *source], rows))


def _stored_in_time_order(session: Session, start: datetime | None, end: datetime | None) -> bool:
    """Return whether the first ORDER_SAMPLE posts in storage order are the first in time order (a cheap guess:
    scan_posts still checks every post as it reads)."""
    name = dataaccess.dialect(session)
    ids = []
    for ordered in (False, True):
        # length(text) keeps SQLite off a covering index, whose order is not the table's.
        sql, params = _sql(name, start, end, ordered, columns="id, length(text) AS n")
        ids.append(dataaccess.read_ints(session, f"{sql} LIMIT {ORDER_SAMPLE}", ["id", "n"], params)[:, 0])
    return np.array_equal(*ids)


def _kept(batches: Iterator[pa.RecordBatch], seen: list, limit: int) -> Iterator[pa.RecordBatch]:
    """Yield `batches`, keeping them in `seen` too up to `limit` rows (then `seen` is [None])."""
    held = 0
    for batch in batches:
        held += len(batch)
        if held <= limit:
            seen.append(batch)
        elif not seen or seen[-1] is not None:
            seen[:] = [None]
        yield batch
