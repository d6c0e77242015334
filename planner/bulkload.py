"""Bulk writes for the heavy paths: prepared tuples in, dialect differences (executemany, COPY) kept inside."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy.engine import Connection

# Names this module puts into SQL itself: table and column names come from the code, never from a file.
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# maintenance_work_mem while PostgreSQL rebuilds indexes after a bulk load (the default, 64 MB, sorts on disk).
PG_INDEX_MEMORY = "256MB"
# SQLite's page cache during a bulk load (KiB) and its default afterwards (negative: KiB).
SQLITE_BULK_CACHE_KIB = 256 * 1024
SQLITE_DEFAULT_CACHE = -2000


def _names(*names: str) -> str:
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a plain SQL name")
    return ", ".join(names)


def insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple], conflict: Sequence[str]
) -> int:
    """Insert `rows` (tuples in `columns` order) into `table`, skipping rows whose `conflict` key is stored already.

    Returns how many rows went in. Runs in the connection's transaction. SQLite: the driver's executemany of
    INSERT ... ON CONFLICT DO NOTHING (rows are consumed lazily, so a generator keeps memory flat). PostgreSQL:
    COPY into a temporary staging table, then one INSERT ... SELECT ... ON CONFLICT DO NOTHING. Datetimes may be
    given as ISO strings in UTC ("YYYY-MM-DD HH:MM:SS.ffffff"), the form both databases take fastest.
    """
    _names(table, *columns, *conflict)
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.driver_connection
        before = dbapi.total_changes
        values = ", ".join("?" * len(columns))
        # Not INSERT OR IGNORE: that also drops rows breaking NOT NULL or CHECK silently; this skips key conflicts only.
        sql = f"INSERT INTO {table} ({_names(*columns)}) VALUES ({values}) ON CONFLICT ({_names(*conflict)}) DO NOTHING"
        dbapi.executemany(sql, rows)
        return dbapi.total_changes - before
    if conn.dialect.name == "postgresql":
        return _copy_insert(conn, table, columns, rows, conflict)
    raise NotImplementedError(f"bulk insert on {conn.dialect.name}")


def _copy_insert(conn: Connection, table: str, columns: Sequence[str], rows, conflict: Sequence[str]) -> int:
    cols = _names(*columns)
    stage = f"_bulk_{table}"
    with conn.connection.driver_connection.cursor() as cur:
        # The staging table has the target's column types and no constraints; it lives for this transaction only.
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
        )
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT ({_names(*conflict)}) DO NOTHING"
        )
        return cur.rowcount


def drop_secondary_indexes(conn: Connection, table: str) -> list[str]:
    """Drop `table`'s indexes that enforce nothing (not primary, not unique); return the SQL that rebuilds them.

    Building an index once after a load is about twice as fast as updating it row by row. DDL is transactional in
    both databases: a load that fails gets its indexes back with the rollback. On PostgreSQL the drop locks the table
    until the transaction ends (readers wait), which is the price of the faster load.
    """
    _names(table)
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
            "AND sql NOT LIKE 'CREATE UNIQUE%'",
            (table,),
        ).all()
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    elif conn.dialect.name == "postgresql":
        found = conn.exec_driver_sql(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = to_regclass(%s) AND NOT i.indisunique AND NOT i.indisprimary",
            (table,),
        ).all()
        conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{PG_INDEX_MEMORY}'")
    else:
        return []
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def rebuild_indexes(conn: Connection, statements: Sequence[str]) -> None:
    """Run the statements drop_secondary_indexes returned; give SQLite back its default page cache."""
    for sql in statements:
        conn.exec_driver_sql(sql)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_DEFAULT_CACHE}")
