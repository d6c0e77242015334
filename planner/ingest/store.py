"""Write imported posts fast: bulk or staged loads (planner.dataaccess), indexes built after big loads, skips kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from planner import dataaccess
from planner.ingest.pipeline import POST_COLUMNS, Rejected
from planner.models import ImportReject, Post

# Imports expected to hold at least this many posts (and no fewer than the table) build the indexes afterwards.
BULK_ROWS = 100_000
# Rows read before the file's size in rows is estimated: the first chunk is small and the reader runs ahead of it.
ESTIMATE_ROWS = 10_000


def defer_indexes(session: Session, file_size: int, bytes_read: int, rows: int) -> list[str] | None:
    """Drop the posts table's secondary indexes for a bulk load; return the SQL that rebuilds them.

    `rows` and `bytes_read` count what was read so far; None means "too early to tell, ask again after more rows".

    Building an index once from sorted data is about twice as fast as updating it row by row, but rebuilding costs
    time proportional to the whole table, so this happens only when the file holds at least BULK_ROWS posts and
    at least as many as the table. The unique key stays (it skips duplicates). Both databases roll DDL back with a
    failed import. See planner.dataaccess.drop_secondary_indexes.
    """
    if rows < min(ESTIMATE_ROWS, BULK_ROWS) and bytes_read < file_size:
        return None
    if not rows or not bytes_read:
        return []
    expected = file_size / (bytes_read / rows)
    stored = session.scalar(select(func.max(Post.id))) or 0  # an upper bound of the row count, read in O(1)
    if expected < BULK_ROWS or expected < stored:
        return []
    return dataaccess.drop_secondary_indexes(session.connection(), "posts")


def restore_indexes(session: Session, statements: list[str]) -> None:
    """Rebuild the indexes defer_indexes dropped."""
    dataaccess.rebuild_indexes(session.connection(), statements)


def store_rejects(session: Session, batch_id: int, rejects: list[Rejected]) -> None:
    """Keep skipped rows with their batch, for the rejects CSV."""
    session.execute(
        insert(ImportReject),
        [
            {"batch_id": batch_id, "row_number": r.row, "field": r.field, "reason": r.reason, "raw": r.raw}
            for r in rejects
        ],
    )


def insert_posts(session: Session, rows: pd.DataFrame, batch_id: int) -> int:
    """Insert `rows` (POST_COLUMNS) into posts in the session's transaction, skipping ids already stored.

    Returns how many went in. Values go to planner.dataaccess as prepared tuples (executemany on SQLite, COPY on
    PostgreSQL): the ORM's per-object work would cost more than the insert itself.
    """
    if rows.empty:
        return 0
    conn = session.connection()
    values = []
    for name in POST_COLUMNS:
        col = rows[name]
        if name == "created_at":
            text = dataaccess.utc_texts(col)
            values.append(text if conn.dialect.name == "sqlite" else [t + "+00" for t in text])
        elif isinstance(col.dtype, pd.Int64Dtype):
            values.append(col.to_numpy(dtype=object, na_value=None).tolist())
        else:
            values.append(col.tolist())
    values.append([batch_id] * len(rows))
    params = zip(*values, strict=True)  # tuples made as the driver asks for them, not all at once
    return dataaccess.insert_tuples(conn, "posts", [*POST_COLUMNS, "batch_id"], params, ("platform", "external_id"))


def stage_posts(folder: str, part: int, rows: pd.DataFrame, file: str = "") -> dataaccess.Staged:
    """Park `rows` (POST_COLUMNS) as part number `part` of a staged load, in scratch file `file` (see
    planner.dataaccess.Staging and stage_rows).

    The values go as Arrow arrays, never as Python tuples: times as the UTC text insert_posts writes, counts as
    nullable integers, missing ids as nulls.
    """
    columns = {}
    for name in POST_COLUMNS:
        col = rows[name]
        if name == "created_at":
            columns[name] = dataaccess.utc_text_array(col)
        elif isinstance(col.dtype, pd.Int64Dtype) or col.dtype == np.int64:
            columns[name] = pa.array(col, type=pa.int64())
        else:
            columns[name] = pa.array(col, type=pa.large_string())
    return dataaccess.stage_rows(folder, part, columns, file)


def insert_staged_posts(
    session: Session, staging: dataaccess.Staging, parts: list[dataaccess.Staged], batch_id: int
) -> int:
    """Move the staged parts into posts, in order, in the session's transaction, skipping ids already stored."""
    if not parts:
        return 0
    return staging.insert(
        session.connection(), "posts", POST_COLUMNS, parts, {"batch_id": batch_id}, ("platform", "external_id")
    )
