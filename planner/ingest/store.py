"""Write imported posts fast: the driver's executemany, indexes built after bulk loads, skipped rows kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from planner.ingest.pipeline import POST_COLUMNS, Rejected
from planner.models import ImportReject, Post

# Imports expected to hold at least this many posts (and no fewer than the table) build the indexes afterwards.
BULK_ROWS = 200_000
# SQLite's page cache during such a load (KiB), and its default afterwards (negative: KiB).
BULK_CACHE_KIB = 256 * 1024
SQLITE_DEFAULT_CACHE = -2000


def defer_indexes(session: Session, file_size: int, bytes_read: int, rows: int) -> list[str]:
    """Drop the posts table's secondary indexes for a bulk load into SQLite; return the SQL that rebuilds them.

    Building an index once from sorted data is about twice as fast as updating it row by row, but rebuilding costs
    time proportional to the whole table, so this happens only when the file holds at least BULK_ROWS posts and
    at least as many as the table. The unique index stays (it skips duplicates). DDL is transactional in SQLite:
    a failed import gets its indexes back with the rollback. The page cache is enlarged for the load too.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite" or not rows or not bytes_read:
        return []
    expected = file_size / (bytes_read / rows)
    stored = session.scalar(select(func.max(Post.id))) or 0  # an upper bound of the row count, read in O(1)
    if expected < BULK_ROWS or expected < stored:
        return []
    indexes = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts' AND sql IS NOT NULL"
    ).all()
    for name, _sql in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    return [sql for _name, sql in indexes]


def restore_indexes(session: Session, statements: list[str]) -> None:
    """Rebuild the indexes defer_indexes dropped and give SQLite back its default page cache."""
    conn = session.connection()
    for sql in statements:
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_DEFAULT_CACHE}")


def store_rejects(session: Session, batch_id: int, rejects: list[Rejected]) -> None:
    """Keep skipped rows with their batch, for the rejects CSV."""
    session.execute(
        insert(ImportReject),
        [
            {"batch_id": batch_id, "row_number": r.row, "field": r.field, "reason": r.reason, "raw": r.raw}
            for r in rejects
        ],
    )


def insert_posts(session: Session, rows: pd.DataFrame, batch_id: int) -> None:
    """Insert `rows` (POST_COLUMNS) into posts in the session's transaction, skipping ids already stored.

    Goes through the driver's executemany: the ORM's per-object work would cost more than the insert itself.
    """
    if rows.empty:
        return
    conn = session.connection()
    columns = [*POST_COLUMNS, "batch_id"]
    values = []
    for name in POST_COLUMNS:
        col = rows[name]
        if name == "created_at":
            if conn.dialect.name == "sqlite":
                # The text form SQLAlchemy's SQLite DATETIME stores: "YYYY-MM-DD HH:MM:SS.ffffff", UTC.
                stamps = col.dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
                values.append(np.char.replace(np.datetime_as_string(stamps, unit="us"), "T", " ").tolist())
            else:
                values.append(col.dt.to_pydatetime().tolist())
        elif isinstance(col.dtype, pd.Int64Dtype):
            values.append(col.to_numpy(dtype=object, na_value=None).tolist())
        else:
            values.append(col.tolist())
    values.append([batch_id] * len(rows))
    params = zip(*values, strict=True)  # tuples made as the driver asks for them, not all at once
    names = ", ".join(columns)
    if conn.dialect.name == "sqlite":
        sql = f"INSERT OR IGNORE INTO posts ({names}) VALUES ({', '.join('?' * len(columns))})"
        conn.connection.driver_connection.executemany(sql, params)
    else:
        sql = (
            f"INSERT INTO posts ({names}) VALUES ({', '.join(['%s'] * len(columns))}) "
            "ON CONFLICT (platform, external_id) DO NOTHING"
        )
        conn.exec_driver_sql(sql, list(params))
