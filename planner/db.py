"""Open a workspace database: engine with safe SQLite settings, Alembic migrations, sessions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

from planner.config import DATABASE_URL_VAR, Settings, load_settings
from planner.errors import PlannerError

# The newest migration: a workspace already there is opened without loading Alembic (0.2 s of imports).
# tests/test_db.py checks that it names Alembic's head.
SCHEMA_HEAD = "0015_edge_checks"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Page size of a new SQLite workspace (an existing file keeps its own). Posts are rows of a few hundred bytes read
# and written in bulk: with 16 KiB pages instead of SQLite's 4 KiB, storing 1M staged posts, rebuilding their four
# indexes and committing took 4.4-5.1 s instead of 5.9-6.2 s (fewer WAL frames and b-tree pages), and an import of
# 1M posts with random ids was no slower.
SQLITE_PAGE_SIZE = 16384
# How often a write transaction tries to take the SQLite lock (each try waits up to the busy timeout).
WRITE_LOCK_TRIES = 3
# Execution option that makes the "begin" hook start the transaction with BEGIN IMMEDIATE.
IMMEDIATE = "planner_immediate"
# Connection info key: sqlite3's total_changes when the transaction began, to tell whether it has written since.
CHANGES_AT_BEGIN = "planner_changes_at_begin"


class DatabaseConfigError(PlannerError):
    """The database URL is malformed or names an unknown driver."""


class DatabaseUnavailableError(PlannerError):
    """The database server or file cannot be reached."""


class SchemaTooNewError(PlannerError):
    """The database was written by a newer Counterpoint than this one."""


class DatabaseBusyError(PlannerError):
    """Another writer held the workspace longer than the busy timeout, every time this change tried."""


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see the "begin" hook).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # before anything is written: no effect on existing files
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    # Writes (planner.db.atomic) take the database lock up front, so they wait their turn in the busy handler
    # instead of failing when a read transaction cannot be upgraded; reads stay deferred and never block.
    if conn.get_execution_options().get(IMMEDIATE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")
    # Whether the transaction has written yet (planner.dataaccess.read_batches reads through another connection
    # when it has not).
    conn.connection.info[CHANGES_AT_BEGIN] = conn.connection.driver_connection.total_changes


def _is_locked(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    message = str(orig).lower()
    return "locked" in message or "busy" in message


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def create_db_engine(url: str, *, source: str = DATABASE_URL_VAR) -> Engine:
    """Return an engine for `url`; raise DatabaseConfigError naming `source` when the URL is unusable."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(f"{source} is not a valid database URL: {url!r}") from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise DatabaseConfigError(f"{source} names a database this installation cannot use: {exc}") from exc
    return engine


def schema_status(engine: Engine) -> tuple[str | None, str]:
    """Return (the database's schema revision or None, the newest revision this code knows)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, script.get_current_head()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration; return (revision before, revision after). Idempotent.

    Raises SchemaTooNewError when the database has a revision this code does not know.
    """
    if _revision(engine) == SCHEMA_HEAD:
        return SCHEMA_HEAD, SCHEMA_HEAD
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = _alembic_config()
    script = ScriptDirectory.from_config(cfg)
    try:
        before, head = schema_status(engine)
    except DBAPIError as exc:
        raise DatabaseUnavailableError(f"cannot open the database in {DATABASE_URL_VAR}: {_first_line(exc)}") from exc
    if before is not None:
        try:
            script.get_revision(before)
        except Exception as exc:
            raise SchemaTooNewError(
                f"the database has schema revision {before!r}, which this Counterpoint does not know "
                f"(newest known: {head!r}); it was written by a newer version: upgrade Counterpoint"
            ) from exc
    if before != head:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return before, head


def _revision(engine: Engine) -> str | None:
    """Return the revision in the database's alembic_version table; None when there is none (or no table)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None  # a new database, or a server that is down: the full path reports which


@dataclass
class Workspace:
    """An open, migrated workspace database."""

    engine: Engine
    sessionmaker: sessionmaker[Session]

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        """Return a new session; use it as a context manager."""
        return self.sessionmaker()

    def dispose(self) -> None:
        self.engine.dispose()


def open_workspace(url: str | None = None, *, migrate: bool = True, settings: Settings | None = None) -> Workspace:
    """Open (and by default migrate) the workspace at `url`, or the one the environment names."""
    settings = settings or load_settings()
    engine = create_db_engine(url or settings.database_url)
    try:
        if migrate:
            upgrade(engine)
        else:
            with engine.connect():
                pass
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnavailableError(f"cannot open the database in {DATABASE_URL_VAR}: {_first_line(exc)}") from exc
    except PlannerError:
        engine.dispose()
        raise
    return Workspace(engine=engine, sessionmaker=sessionmaker(engine, expire_on_commit=False))


def _begin_write(session: Session) -> None:
    """On SQLite, make the session's transaction a write transaction that holds the database lock from now on.

    A read transaction still open (the session read before the change began) is ended first: SQLite cannot
    upgrade a read transaction once another writer has committed, which is what gave "database is locked".
    Loaded objects keep their state (sessions do not expire on commit); code that checks a version re-reads it.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.connection().get_execution_options().get(IMMEDIATE):
            return  # already a write transaction (an atomic block inside another)
        if session.new or session.dirty or session.deleted:
            return  # changes made before the block: keep them in their transaction
        session.commit()
    for attempt in range(1, WRITE_LOCK_TRIES + 1):
        try:
            session.connection(execution_options={IMMEDIATE: True})
            return
        except OperationalError as exc:
            session.rollback()
            if not _is_locked(exc):
                raise
            if attempt == WRITE_LOCK_TRIES:
                raise _busy() from exc
            time.sleep(0.05 * attempt)


def _busy() -> DatabaseBusyError:
    return DatabaseBusyError(
        f"the workspace is busy: another change held it for more than {SQLITE_BUSY_TIMEOUT_MS // 1000} s, "
        f"{WRITE_LOCK_TRIES} times; nothing was changed, try again"
    )


@contextmanager
def atomic(session: Session) -> Iterator[Session]:
    """Run the block as one write transaction: commit it when it succeeds, roll it back on any error.

    On SQLite the transaction takes the database lock first (BEGIN IMMEDIATE, waiting up to the busy timeout,
    retried WRITE_LOCK_TRIES times); a lock error that still gets through becomes DatabaseBusyError.
    """
    _begin_write(session)
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if _is_locked(exc):
            raise _busy() from exc
        raise
    except BaseException:
        session.rollback()
        raise


def backup_sqlite(engine: Engine, target: Path) -> Path:
    """Copy a live SQLite workspace to `target` with SQLite's online backup; return the path."""
    if engine.dialect.name != "sqlite":
        raise PlannerError(
            f"backup copies SQLite workspaces only; this one is {engine.dialect.name}: back PostgreSQL up with "
            "pg_dump (README, 'Deploy for a team')"
        )
    target = Path(target)
    if target.exists():
        raise PlannerError(f"{target} already exists: choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = engine.raw_connection()
    try:
        dest = sqlite3.connect(target)
        try:
            raw.driver_connection.backup(dest)
        finally:
            dest.close()
    finally:
        raw.close()
    return target
