"""Read the monitored posts detection needs as columns: projected and filtered in SQL, times as integer microseconds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import dataaccess
from planner.models import Post

# Columns of the frame detection reads, in this order (created_at tz-aware UTC, microsecond precision).
POST_COLUMNS = [
    "id",
    "created_at",
    "author_id",
    "author_handle",
    "text",
    "lang",
    "hashtags",
    "urls",
    "likes",
    "reposts",
]
_TEXT_COLUMNS = ("author_id", "author_handle", "text", "lang", "hashtags", "urls")
# Rows fetched from the driver at a time: the only per-row Python objects alive at once.
FETCH_ROWS = 100_000

_DIALECTS = ("sqlite", "postgresql")


def _query(dialect: str, start: datetime | None, end: datetime | None, ordered: bool = False) -> tuple[str, list]:
    mark = "?" if dialect == "sqlite" else "%s"
    where, params = [], []
    if start is not None:
        where.append(f"created_at >= {mark}")
        params.append(dataaccess.db_value(dialect, start))
    if end is not None:
        # On SQLite the unary plus keeps the planner off the created_at index for the end bound, which usually
        # holds every post: a plain table scan is several times faster than a lookup per row through the index.
        where.append(f"{'+' if dialect == 'sqlite' else ''}created_at < {mark}")
        params.append(dataaccess.db_value(dialect, end))
    # created_at as integer microseconds computed by the database (no per-row datetime objects)
    columns = ", ".join(dataaccess.micros(c, dialect) if c == "created_at" else c for c in POST_COLUMNS)
    sql = f"SELECT {columns} FROM posts" + (" WHERE " + " AND ".join(where) if where else "")
    # Unordered, sorting the integer columns afterwards is cheaper than reading in index order; a stream of
    # chunks needs the database's order.
    return sql + (" ORDER BY created_at, id" if ordered else ""), params


def _batches(
    session: Session, start: datetime | None, end: datetime | None, rows: int = FETCH_ROWS, ordered: bool = False
) -> Iterator[list[tuple]]:
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect not in _DIALECTS:
        raise NotImplementedError(f"reading posts as columns is not written for {dialect}")
    sql, params = _query(dialect, start, end, ordered)
    raw = conn.connection.driver_connection
    # PostgreSQL: a server-side cursor, so the driver never holds the whole result.
    cursor = raw.cursor(name="planner_trend_posts") if dialect == "postgresql" else raw.cursor()
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(rows):
            yield batch
    finally:
        cursor.close()


def count_posts(session: Session, start: datetime | None = None, end: datetime | None = None) -> int:
    """Return how many monitored posts were created in [start, end)."""
    stmt = select(func.count()).select_from(Post)
    if start is not None:
        stmt = stmt.where(Post.created_at >= start)
    if end is not None:
        stmt = stmt.where(Post.created_at < end)
    return int(session.scalar(stmt))


def _frame(parts: dict[str, list]) -> pd.DataFrame:
    columns = {
        name: np.concatenate(parts[name]) if parts[name] else np.zeros(0, _DTYPES[name])
        for name in POST_COLUMNS
        if name not in _TEXT_COLUMNS
    }
    order = np.lexsort((columns["id"], columns["created_at"]))
    in_order = bool((order == np.arange(len(order))).all())
    data: dict[str, object] = {}
    for name in POST_COLUMNS:
        if name in _TEXT_COLUMNS:
            values = pa.chunked_array(parts[name], pa.large_string())
            data[name] = (values if in_order else values.take(order)).to_pandas()
            continue
        values = columns[name] if in_order else columns[name][order]
        if name == "created_at":
            data[name] = pd.Series(values.astype("datetime64[us]")).dt.tz_localize("UTC")
        else:
            data[name] = pd.Series(values)
    return pd.DataFrame(data)


_DTYPES = {"id": np.int64, "created_at": np.int64, "likes": np.float64, "reposts": np.float64}


def _parts(batch: list[tuple], parts: dict[str, list]) -> None:
    for name, values in zip(POST_COLUMNS, zip(*batch, strict=True), strict=True):
        if name in _TEXT_COLUMNS:
            parts[name].append(pa.array(values, pa.large_string()))
        else:  # likes and reposts are NULL when the source did not give them: NaN
            parts[name].append(np.array(values, dtype=_DTYPES[name]))


def read_posts(session: Session, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
    """Return the monitored posts created in [start, end) with POST_COLUMNS, ordered by (created_at, id)."""
    session.flush()  # the query runs on the driver's connection: pending posts must be in the database
    parts: dict[str, list] = {name: [] for name in POST_COLUMNS}
    for batch in _batches(session, start, end):
        _parts(batch, parts)
    return _frame(parts)


def stream_posts(
    session: Session, start: datetime | None = None, end: datetime | None = None, rows: int = FETCH_ROWS
) -> Iterator[pd.DataFrame]:
    """Yield the posts of read_posts as frames of `rows` posts (the last one shorter), in the same order."""
    session.flush()
    for batch in _batches(session, start, end, rows, ordered=True):
        parts: dict[str, list] = {name: [] for name in POST_COLUMNS}
        _parts(batch, parts)
        yield _frame(parts)
