"""Heavy reads and writes as columns, on SQLite or PostgreSQL: the one place that knows how the two differ.

Reads return numpy arrays straight from the driver (no ORM objects, no per-row datetimes: times are read as int64
microseconds computed in SQL); writes go in bulk (the driver's executemany on SQLite, COPY on PostgreSQL). Both run
on the session's own connection, inside its transaction, so they see its uncommitted writes and commit or roll back
with it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from planner.db import CHANGES_AT_BEGIN
from planner.errors import PlannerError

# Rows fetched per round trip when reading from SQLite: the Python tuples of one batch are short-lived.
FETCH_ROWS = 100_000
# Bytes of the database file ADBC's SQLite reader maps into memory: reads in another order than storage (through
# an index) then touch pages in place instead of copying each into a small page cache.
SQLITE_READ_MMAP = 1 << 30
# Rows per COPY or executemany call when writing (bounds the memory of the prepared tuples).
WRITE_ROWS = 200_000
_PG_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def dialect(session: Session) -> str:
    """Return "sqlite" or "postgresql" for the session's database."""
    return session.get_bind().dialect.name


def micros(column: str, name: str) -> str:
    """Return SQL for a UTCDateTime `column` as int64 microseconds since 1970 UTC, on dialect `name`.

    SQLite stores these times as text "YYYY-MM-DD HH:MM:SS.ffffff" (UTC); PostgreSQL as timestamptz. SQLite's
    unixepoch() rounds a fraction of a second to the nearest second, so it is given the whole seconds only.
    """
    if name == "sqlite":
        return f"(unixepoch(substr({column}, 1, 19)) * 1000000 + CAST(substr({column}, 21, 6) AS INTEGER))"
    return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"


def time_bucket(column: str, seconds: int, name: str) -> str:
    """Return SQL for the start of the `seconds`-long bucket holding `column`, as int64 microseconds (UTC epoch)."""
    width = int(seconds) * 1_000_000
    if width <= 0:
        raise ValueError(f"bucket width must be a positive number of seconds, not {seconds!r}")
    value = micros(column, name)
    return f"(({value}) - ((({value}) % {width}) + {width}) % {width})"  # floor, also before 1970


def db_value(name: str, value):
    """Return `value` as the driver of dialect `name` takes it (aware datetimes as SQLite's stored UTC text)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times are UTC-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if name == "sqlite" else value
    return value


def db_values(name: str, params: dict) -> dict:
    """Return the parameters with every value as the driver of dialect `name` takes it (see db_value)."""
    return {k: db_value(name, v) for k, v in params.items()}


def read_ints(session: Session, sql: str, columns: Sequence[str], params: dict | None = None) -> np.ndarray:
    """Return the rows of `sql` as an int64 array of shape (rows, len(columns)), read in the session's transaction.

    `sql` selects exactly `columns` (integer values, no NULLs: use COALESCE) and takes `:name` parameters.
    SQLite's rows are turned into arrays batch by batch, in the query's order. PostgreSQL aggregates each column into
    one bytea that numpy reads; the rows stay aligned across columns, and come in the order of an ORDER BY in `sql`
    as PostgreSQL feeds a sorted subquery to an aggregate (what its manual says "usually" works, not a promise):
    sort the arrays when the order matters.
    """
    name = dialect(session)
    params = db_values(name, params or {})
    raw = session.connection().connection.driver_connection
    width = len(columns)
    if name == "sqlite":
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            parts = []
            while rows := cursor.fetchmany(FETCH_ROWS):
                flat = np.fromiter(itertools.chain.from_iterable(rows), np.int64, count=len(rows) * width)
                parts.append(flat.reshape(-1, width))
        finally:
            cursor.close()
        return np.concatenate(parts) if parts else np.zeros((0, width), np.int64)
    # Each column comes back as one bytea of 8-byte big-endian integers, aggregated by the server in one pass (all
    # aggregates of one scan see the rows in the same order). A binary COPY sends a message per row, which psycopg
    # reads one at a time: 2.5x slower for 1M rows of 4 columns (1.41 s against 0.55 s). A bytea holds up to 1 GB:
    # 134M rows per column.
    aggregates = ", ".join(f"string_agg(int8send(CAST(q.{c} AS BIGINT)), ''::bytea)" for c in columns)
    query = _pyformat(sql) if params else sql  # psycopg reads placeholders (and %%) only when given parameters
    with raw.cursor(binary=True) as cursor:
        cursor.execute(f"SELECT {aggregates} FROM ({query}) AS q", params or None)
        values = cursor.fetchone()
    if values[0] is None:  # no rows
        return np.zeros((0, width), np.int64)
    out = np.empty((len(values[0]) // 8, width), np.int64)
    for i, value in enumerate(values):
        out[:, i] = np.frombuffer(value, ">i8")
    return out


def read_batches(
    session: Session,
    sql: str,
    schema: pa.Schema,
    params: dict | None = None,
    rows: int = FETCH_ROWS,
    *,
    adbc: bool = True,
) -> Iterator[pa.RecordBatch]:
    """Yield the rows of `sql` as Arrow record batches of `schema` (the columns `sql` selects, in order).

    `sql` takes `:name` parameters; a timestamp column of `schema` is selected as the bare UTCDateTime column.
    When the session's transaction has written nothing yet, so that another connection sees the same rows, the
    columns come straight into Arrow through ADBC (no Python object per value); otherwise through the session's
    own DBAPI cursor, so uncommitted writes are seen. `adbc=False` always reads through the cursor (faster for a
    few rows: ADBC's SQLite reader is a process of its own).
    """
    name = dialect(session)
    conn = session.connection()
    uri = _adbc_uri(conn, name) if adbc else None
    if uri is not None:
        batches = _adbc_batches(uri, name, sql, db_values(name, params or {}), rows)
    else:
        batches = _dbapi_batches(conn, name, sql, db_values(name, params or {}), schema, rows)
    for batch in batches:
        yield _conform(batch, schema)


def _adbc_uri(conn: Connection, name: str) -> str | None:
    """Return the URI ADBC opens to see what `conn` sees, or None (uncommitted writes, a memory database, no ADBC)."""
    raw = conn.connection.driver_connection
    if name == "sqlite":
        begun = conn.connection.info.get(CHANGES_AT_BEGIN)
        if begun is None or raw.total_changes != begun:  # this transaction wrote (or we cannot tell)
            return None
        path = next((row[2] for row in raw.execute("PRAGMA database_list") if row[1] == "main"), "")
        uri = path or None
    elif name == "postgresql":
        written = conn.exec_driver_sql("SELECT pg_current_xact_id_if_assigned() IS NOT NULL").scalar()
        uri = None if written else conn.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    else:
        raise NotImplementedError(f"reading Arrow batches is not written for {name}")
    return uri if uri and importlib.util.find_spec(f"adbc_driver_{name}") is not None else None


def _positional(sql: str, params: dict, name: str) -> tuple[str, list]:
    """Return `sql` with its :name parameters as ADBC's positional ones (? or $n), and their values in order."""
    values: list = []

    def mark(match: re.Match) -> str:
        values.append(params[match.group(1)])
        return "?" if name == "sqlite" else f"${len(values)}"

    return _NAMED.sub(mark, sql), values


def _adbc_batches(uri: str, name: str, sql: str, params: dict, rows: int) -> Iterator[pa.RecordBatch]:
    query, values = _positional(sql, params, name)
    if name == "sqlite":
        yield from _sqlite_reader_batches(uri, query, values, rows)
        return
    import adbc_driver_postgresql.dbapi as adbc

    with adbc.connect(uri) as con, con.cursor() as cursor:
        cursor.execute(query, values or None)
        reader = cursor.fetch_record_batch()
        try:
            yield from reader
        finally:
            reader.close()


def _sqlite_reader_batches(path: str, query: str, values: list, rows: int) -> Iterator[pa.RecordBatch]:
    """Yield the batches planner/sqlite_reader.py reads in its own process (see there why)."""
    script = Path(__file__).with_name("sqlite_reader.py")
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [sys.executable, str(script), path, str(rows)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors
        )
        done = False
        try:
            proc.stdin.write(json.dumps({"sql": query, "params": values, "mmap": SQLITE_READ_MMAP}).encode())
            proc.stdin.close()
            with pa.ipc.open_stream(proc.stdout) as reader:
                yield from reader
            done = True
        except pa.ArrowInvalid:
            pass  # the reader failed: its error is reported below
        finally:
            proc.stdout.close()
            if not done:  # failed, or the caller stopped early
                proc.kill()
            status = proc.wait()
        if not done or status != 0:
            errors.seek(0)
            raise RuntimeError(f"reading {path} failed: {errors.read().decode(errors='replace')[-2000:]}")


def _dbapi_batches(
    conn: Connection, name: str, sql: str, params: dict, schema: pa.Schema, rows: int
) -> Iterator[pa.RecordBatch]:
    raw = conn.connection.driver_connection
    query = sql if name == "sqlite" else (_pyformat(sql) if params else sql)
    # PostgreSQL: a server-side cursor, so the driver never holds the whole result.
    cursor = raw.cursor(name="planner_read_batches") if name == "postgresql" else raw.cursor()
    try:
        cursor.execute(query, params)
        while batch := cursor.fetchmany(rows):
            columns = zip(*batch, strict=True)
            yield pa.RecordBatch.from_arrays(
                [pa.array(values, _driver_type(field.type)) for field, values in zip(schema, columns, strict=True)],
                names=schema.names,
            )
    finally:
        cursor.close()


def _driver_type(wanted: pa.DataType) -> pa.DataType | None:
    """Return the Arrow type to build a driver's values as (None: inferred; SQLite's times are text)."""
    return None if pa.types.is_timestamp(wanted) else wanted


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """Return `batch` with `schema`'s names and types (SQLite's time text parsed as UTC)."""
    columns = []
    for field, column in zip(schema, batch.columns, strict=True):
        if pa.types.is_timestamp(field.type) and (
            pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        ):
            column = column.cast(pa.timestamp(field.type.unit))  # SQLite keeps UTC times as zone-less text
        columns.append(column if column.type == field.type else column.cast(field.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _pyformat(sql: str) -> str:
    """Return `sql` with :name parameters as psycopg's %(name)s (and literal % doubled)."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


_PG_INT_SIZES = {"smallint": 2, "integer": 4, "bigint": 8}


def _binary_ints(columns: Sequence[np.ndarray], sizes: Sequence[int]) -> bytes:
    """Return a PostgreSQL binary COPY stream of non-null integer columns of the given byte sizes."""
    fields = [("n", ">i2")]
    for i, size in enumerate(sizes):
        fields += [(f"len{i}", ">i4"), (f"v{i}", f">i{size}")]
    rows = np.empty(len(columns[0]), dtype=np.dtype(fields))
    rows["n"] = len(columns)
    for i, (col, size) in enumerate(zip(columns, sizes, strict=True)):
        limit = 2 ** (8 * size - 1)
        if len(col) and (int(col.min()) < -limit or int(col.max()) >= limit):
            raise ValueError(f"column {i + 1}: a value does not fit the column's {size}-byte integer")
        rows[f"len{i}"] = size
        rows[f"v{i}"] = col
    return _PG_BINARY_HEADER + rows.tobytes() + struct.pack(">h", -1)


def _pg_int_sizes(cursor, table: str, names: Sequence[str]) -> list[int] | None:
    """Return the byte size of each integer column of `table`, or None when one is not an integer column."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND table_schema = ANY(current_schemas(true))",
        (table,),
    )
    types = dict(cursor.fetchall())
    sizes = [_PG_INT_SIZES.get(types.get(c, "")) for c in names]
    return None if None in sizes else sizes


def utc_texts(stamps: pd.Series) -> list[str | None]:
    """Return zone-aware datetimes as UTC text, "YYYY-MM-DD HH:MM:SS.ffffff" (None for NaT).

    That is the form SQLAlchemy's SQLite DATETIME stores, and PostgreSQL reads it with a zone appended. Arrow's cast
    makes it in C++ (twice as fast as numpy's datetime_as_string and a character replace).
    """
    return utc_text_array(stamps).to_numpy(zero_copy_only=False).tolist()


def utc_text_array(stamps: pd.Series) -> pa.Array:
    """Return utc_texts as an Arrow string array (null for NaT)."""
    naive = pa.Array.from_pandas(stamps.dt.tz_convert(None).astype("datetime64[us]"))
    return pc.cast(naive, pa.string())


def _column_values(name: str, values) -> list:
    """Return one column as a list of plain Python values the dialect's driver takes."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            if name == "sqlite":
                return utc_texts(values)
            return values.astype(object).where(values.notna(), None).tolist()
        if values.dtype == object or pd.api.types.is_extension_array_dtype(values.dtype):
            return values.astype(object).where(values.notna(), None).tolist()
        return values.tolist()
    if isinstance(values, np.ndarray):
        return values.tolist()
    return [db_value(name, v) for v in values]


def insert_rows(
    session: Session,
    table: str,
    columns: dict[str, Sequence],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] | None = None,
) -> None:
    """Insert the rows given as columns (name -> values, equal lengths) into `table`, in the session's transaction.

    With `conflict` (the columns of a unique key), rows whose key is already stored are skipped, or, with `update`,
    those columns are overwritten (an upsert). Written in parts of WRITE_ROWS through insert_tuples; on PostgreSQL,
    columns that are all integer arrays go as one binary COPY per part instead.
    """
    names = list(columns)
    n = len(next(iter(columns.values()))) if names else 0
    if n == 0:
        return
    name = dialect(session)
    conn = session.connection()
    sizes = None
    if name == "postgresql" and all(
        isinstance(columns[c], np.ndarray) and columns[c].dtype.kind in "iu" for c in names
    ):
        with conn.connection.driver_connection.cursor() as cur:
            sizes = _pg_int_sizes(cur, table, names)
    for start in range(0, n, WRITE_ROWS):
        if sizes:
            binary = _binary_ints([_part(columns[c], start) for c in names], sizes)
            _copy_insert(conn, table, names, None, conflict, update, binary=binary)
        else:
            lists = [_column_values(name, _part(columns[c], start)) for c in names]
            insert_tuples(conn, table, names, zip(*lists, strict=True), conflict, update)


def _part(values, start: int):
    part = values[start : start + WRITE_ROWS]
    return part.reset_index(drop=True) if isinstance(part, pd.Series) else part


def _conflict_clause(conflict: Sequence[str], update: Sequence[str] | None) -> str:
    """Return the ON CONFLICT clause both dialects understand (SQLite 3.24+ and PostgreSQL share its form)."""
    if not conflict:
        return ""
    if not update:
        return f"ON CONFLICT ({_names(*conflict)}) DO NOTHING"
    sets = ", ".join(f"{c} = excluded.{c}" for c in _names(*update).split(", "))
    return f"ON CONFLICT ({_names(*conflict)}) DO UPDATE SET {sets}"


def json_text(name: str, column: str, key: str) -> str:
    """Return SQL for the text under top-level `key` of a JSON object stored in text `column`."""
    if not re.fullmatch(r"[A-Za-z_]\w*", key):
        raise ValueError(f"JSON key {key!r} must be a plain name")
    if name == "sqlite":
        return f"json_extract({column}, '$.{key}')"
    return f"(CAST({column} AS jsonb) ->> '{key}')"


# Bulk loads: names checked before they go into SQL, indexes rebuilt after large loads.
# Names this module puts into SQL itself: table and column names come from the code, never from a file.
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# maintenance_work_mem while PostgreSQL rebuilds indexes after a bulk load (the default, 64 MB, sorts on disk).
PG_INDEX_MEMORY = "256MB"
# SQLite's page cache during a bulk load (KiB) and its default afterwards (negative: KiB).
SQLITE_BULK_CACHE_KIB = 256 * 1024
SQLITE_DEFAULT_CACHE = -2000
# How long a process parking rows waits for another one holding the same scratch file (ms).
STAGE_BUSY_MS = 60_000
# Helper threads SQLite may sort with while it builds an index (it caps them at its own limit, 8).
SQLITE_SORT_THREADS = min(os.cpu_count() or 1, 4)


def _names(*names: str) -> str:
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a plain SQL name")
    return ", ".join(names)


def insert_tuples(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[tuple],
    conflict: Sequence[str] = (),
    update: Sequence[str] | None = None,
) -> int:
    """Insert `rows` (tuples in `columns` order) into `table`; return how many rows went in (or were updated).

    `conflict` and `update` as for insert_rows. Runs in the connection's transaction. SQLite: the driver's
    executemany (rows are consumed lazily, so a generator keeps memory flat; ON CONFLICT DO NOTHING rather than
    INSERT OR IGNORE, which would also drop rows breaking NOT NULL or CHECK silently). PostgreSQL: COPY, through a
    temporary staging table when there is a conflict rule. Datetimes may be given as ISO strings in UTC
    ("YYYY-MM-DD HH:MM:SS.ffffff"), the form both databases take fastest.
    """
    _names(table)
    cols = _names(*columns)
    clause = _conflict_clause(conflict, update)
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.driver_connection
        before = dbapi.total_changes
        dbapi.executemany(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(columns))}) {clause}", rows)
        return dbapi.total_changes - before
    if conn.dialect.name == "postgresql":
        return _copy_insert(conn, table, columns, rows, conflict, update)
    raise NotImplementedError(f"bulk insert on {conn.dialect.name}")


def _copy_insert(conn, table, columns, rows, conflict, update, binary: bytes | None = None) -> int:
    """COPY `rows` (or the `binary` COPY payload) into `table`, through a staging table when `conflict` is set."""
    cols = _names(*columns)
    target = f"_load_{table}" if conflict else table
    with conn.connection.driver_connection.cursor() as cur:
        if conflict:  # the staging table: these columns' types, no constraints, gone with the transaction
            cur.execute(f"DROP TABLE IF EXISTS {target}")
            cur.execute(f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")
        with cur.copy(
            f"COPY {target} ({cols}) FROM STDIN" + (" (FORMAT BINARY)" if binary is not None else "")
        ) as copy:
            if binary is not None:
                copy.write(binary)
            else:
                for row in rows:
                    copy.write_row(row)
        if not conflict:
            return cur.rowcount
        cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {target} {_conflict_clause(conflict, update)}")
        return cur.rowcount


# Bulk loads on SQLite through scratch files: Python builds no object per value on the way in.
# Scratch files a load may attach at once (SQLite attaches at most 10 databases to a connection).
MAX_STAGE_FILES = 8


class StagingError(PlannerError):
    """A bulk load could not park its rows in its scratch folder (full or not writable): nothing was stored."""


@dataclass(frozen=True)
class Staged:
    """One part of a load parked in a scratch SQLite file: the file, its table and how many rows it holds."""

    path: str
    table: str
    rows: int


def stage_rows(folder: str, part: int, columns: dict[str, pa.Array], file: str = "") -> Staged:
    """Park `columns` (Arrow arrays of equal length) as table `part` of the scratch file `file` in `folder`.

    ADBC's bulk ingest binds the Arrow buffers from C, about four times faster than executemany of the same rows as
    Python tuples, and any process may do it: a worker parks the parts it prepares while the loading process parks
    others, in one file (each takes the file's lock in turn) or each in its own (`file` empty: named after the
    process). The file has no journal and never syncs: it lives only as long as the load (Staging removes it).
    """
    import adbc_driver_sqlite.dbapi as adbc

    _names(file or "x")
    table = f"part_{part:07d}"
    path = str(Path(folder) / f"stage-{file or os.getpid()}.db")
    rows = len(next(iter(columns.values()))) if columns else 0
    try:
        with adbc.connect(path, autocommit=True) as con, con.cursor() as cur:
            cur.execute(f"PRAGMA busy_timeout={STAGE_BUSY_MS}")
            cur.execute("PRAGMA journal_mode=OFF")
            cur.fetchall()
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("BEGIN IMMEDIATE")
            cur.adbc_ingest(table, pa.table(columns), mode="create")
            cur.execute("COMMIT")
    except adbc.Error as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StagingError(
            f"could not write the rows to load to the scratch folder {folder} ({detail}): free some space there, "
            "or point TMPDIR at a folder with room for the rows imported"
        ) from exc
    return Staged(path, table, rows)


class Staging:
    """A scratch folder for a staged bulk load on SQLite: parts are parked there (stage_rows), then moved into the
    workspace by INSERT ... SELECT in the load's own transaction (insert), all in C.

    The scratch files are attached to the loading connection, which SQLite cannot detach before the transaction
    ends: close() (after the commit or rollback) detaches them and removes the folder. Needs the space of the rows
    loaded, briefly, in the system's temporary folder.

    ADBC's SQLite is a second copy of the SQLite library (see planner/sqlite_reader.py): two copies holding one file
    in one process release each other's locks. Here it only ever opens scratch files, and closes each before the
    loading connection attaches it; it never opens the workspace.
    """

    def __init__(self):
        self._folder: str | None = None
        self._attached: dict[str, str] = {}
        self._raw = None

    @property
    def folder(self) -> str:
        """The scratch folder, made when first asked for (most loads are small and never stage)."""
        if self._folder is None:
            try:
                self._folder = tempfile.mkdtemp(prefix="counterpoint-load-")
            except OSError as exc:
                raise StagingError(
                    f"could not make a scratch folder for the load in {tempfile.gettempdir()} ({exc.strerror}): "
                    "point TMPDIR at a writable folder with room for the rows imported"
                ) from exc
        return self._folder

    @classmethod
    def available(cls, session: Session) -> bool:
        """Return whether loads into `session`'s database can be staged (SQLite, with ADBC's SQLite driver)."""
        return dialect(session) == "sqlite" and importlib.util.find_spec("adbc_driver_sqlite") is not None

    def insert(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        parts: Sequence[Staged],
        constants: dict[str, object] | None = None,
        conflict: Sequence[str] = (),
    ) -> int:
        """Insert the staged `parts`, in order and each in its row order, into `table`; return how many went in.

        `columns` are the staged columns; `constants` adds columns of one value each (bound, not written into the
        SQL). Rows whose `conflict` key is stored already (or came earlier in this load) are skipped.
        """
        constants = constants or {}
        _names(table)
        into = _names(*columns, *constants)
        raw = conn.connection.driver_connection
        if self._raw is not None and raw is not self._raw:
            raise RuntimeError("a staged load moved to another connection")
        self._raw = raw
        before = raw.total_changes
        for path in dict.fromkeys(p.path for p in parts):
            if path not in self._attached:
                if len(self._attached) >= MAX_STAGE_FILES:
                    raise RuntimeError(f"a load may stage in at most {MAX_STAGE_FILES} files")
                alias = f"stage_{len(self._attached)}"
                raw.execute(f"ATTACH DATABASE ? AS {alias}", (path,))
                self._attached[path] = alias
        cols = _names(*columns)
        marks = "".join(", ?" for _ in constants)
        clause = _conflict_clause(conflict, None)
        for part in parts:
            _names(part.table)
            source = f"{self._attached[part.path]}.{part.table}"
            raw.execute(
                f"INSERT INTO {table} ({into}) SELECT {cols}{marks} FROM {source} ORDER BY rowid {clause}",
                tuple(constants.values()),
            )
        return raw.total_changes - before

    def close(self) -> None:
        """Detach the scratch files (the transaction must be over) and remove the folder."""
        try:
            for alias in self._attached.values():
                with contextlib.suppress(Exception):  # a connection already closed has nothing attached
                    self._raw.execute(f"DETACH DATABASE {alias}")
        finally:
            self._attached.clear()
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
    """Run the statements drop_secondary_indexes returned; give SQLite back its default page cache.

    SQLite builds each index faster with its default cache and sorting threads than with the load's large cache:
    the sort then runs as several short runs, sorted on every core and merged (1.4 s instead of 2.0 s for the four
    indexes of 1M posts, measured on 2 cores).
    """
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_DEFAULT_CACHE}")
        conn.exec_driver_sql(f"PRAGMA threads = {SQLITE_SORT_THREADS}")
    try:
        for sql in statements:
            conn.exec_driver_sql(sql)
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA threads = 0")
