"""Test workspaces on SQLite or PostgreSQL: fresh databases from a migrated template, dropped after each test.

Set PLANNER_TEST_POSTGRES_URL (a database on the server, used only to create and drop others) to run the suite on
PostgreSQL: every workspace a test opens through these helpers is then a fresh PostgreSQL database. Tests that build
their own workspace use `workspace_url(tmp_path)` (never a hard-coded sqlite:/// URL), tests that drive the CLI or
the app through PLANNER_DATA_DIR use `workspace_env(data_dir)` or `use_workspace(monkeypatch, data_dir)`.

This module holds the state (the databases created), so conftest.py and the tests share one copy of it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from planner import auth
from planner.db import open_workspace

PASSWORD = "correct horse battery"
POSTGRES_VAR = "PLANNER_TEST_POSTGRES_URL"
POSTGRES = bool(os.environ.get(POSTGRES_VAR, "").strip())
# The server the `postgres`-marked tests use even in SQLite mode (they skip when it is unreachable).
PG_ADMIN_URL = os.environ.get(POSTGRES_VAR, "").strip() or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Databases this run creates are named cpt_<pid>_...: dropped when their test ends, survivors when the run ends, and
# those of runs that died (their process is gone) when the next run starts.
PG_PREFIX = f"cpt_{os.getpid()}_"
DB_FILENAME = "counterpoint.db"  # the file the app opens in PLANNER_DATA_DIR (planner.config)

_admin_engine: Engine | None = None
_created: list[str] = []  # databases created for tests and their fixtures, oldest first
_templates: dict[str, str] = {}  # "migrated" / "demo" -> this run's template database


def _admin() -> Engine:
    global _admin_engine
    if _admin_engine is None:
        _admin_engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        _sweep_dead_runs(_admin_engine)
    return _admin_engine


def pg_url_of(name: str) -> str:
    """Return the URL of database `name` on the test server."""
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _exists(name: str) -> bool:
    with _admin().connect() as conn:
        return bool(conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar())


def create_database(name: str | None = None, template: str = "template0", *, for_test: bool = True) -> str:
    """Create database `name` (default: a new unique name) as a copy of `template`; return its name.

    `for_test` databases are dropped by `drop_since` when the test that made them ends; others when the run ends.
    """
    name = name or f"{PG_PREFIX}{uuid.uuid4().hex[:12]}"
    with _admin().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    if for_test:
        _created.append(name)
    return name


def drop_database(name: str) -> None:
    with _admin().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if name in _created:
        _created.remove(name)


def mark() -> int:
    """Return a mark to pass to `drop_since` when the test ends."""
    return len(_created)


def drop_since(position: int) -> None:
    """Drop the databases created since `mark()` returned `position`, newest first."""
    for name in reversed(_created[position:]):
        drop_database(name)


def template(kind: str) -> str:
    """Return this run's template database of `kind` ("migrated" or "demo"), built on first use."""
    if kind not in _templates:
        name = f"{PG_PREFIX}tpl_{kind}"
        drop_database(name)  # a half-built one from a failed first try
        _templates[kind] = name
        try:
            if kind == "migrated":
                create_database(name, for_test=False)
                open_workspace(pg_url_of(name)).dispose()
            else:
                create_database(name, template("migrated"), for_test=False)
                load_demo(pg_url_of(name))
        except BaseException:
            del _templates[kind]
            drop_database(name)
            raise
    return _templates[kind]


def _sweep_dead_runs(engine: Engine) -> None:
    """Drop test databases left by earlier runs whose process is gone (killed before their clean-up)."""
    with engine.connect() as conn:
        names = conn.execute(text(r"SELECT datname FROM pg_database WHERE datname LIKE 'cpt\_%'")).scalars().all()
        for name in names:
            pid = name.split("_")[1]
            if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def finish() -> None:
    """Drop every database this run still has (fixtures of wider scope, templates)."""
    global _admin_engine
    if _admin_engine is None:
        return
    for name in [*reversed(_created), *reversed(list(_templates.values()))]:
        drop_database(name)
    _templates.clear()
    _admin_engine.dispose()
    _admin_engine = None


def _name_for(folder: Path, name: str) -> str:
    digest = hashlib.sha1(str(Path(folder).resolve() / name).encode()).hexdigest()[:16]
    return f"{PG_PREFIX}{digest}"


def workspace_url(folder: Path, name: str = "ws", *, migrated: bool = True) -> str:
    """Return the URL of a test workspace: the SQLite file `folder/name.db`, or in PostgreSQL mode a fresh database.

    The same (folder, name) gives the same workspace within a test. PostgreSQL databases are copies of a template
    migrated once per run (`migrated=False`: an empty database, for tests that migrate it themselves, as SQLite's
    new file is); they are dropped when the test (or the fixture of wider scope that asked) ends.
    """
    if not POSTGRES:
        return f"sqlite:///{Path(folder) / f'{name}.db'}"
    db_name = _name_for(folder, name)
    if not _exists(db_name):
        create_database(db_name, template("migrated") if migrated else "template0")
    return pg_url_of(db_name)


def engine_at_revision(folder: Path, revision: str, name: str = "old") -> Engine:
    """Return an engine on a new test workspace migrated only up to `revision`, for upgrade tests (caller disposes)."""
    from alembic import command

    from planner import db

    engine = db.create_db_engine(workspace_url(folder, name, migrated=False))
    cfg = db._alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return engine


def data_dir_url(data_dir: Path, *, migrated: bool = True) -> str:
    """Return the URL of the workspace the app and the CLI open for PLANNER_DATA_DIR=`data_dir` in this mode."""
    if not POSTGRES:
        return f"sqlite:///{(Path(data_dir) / DB_FILENAME).resolve()}"
    return workspace_url(data_dir, "counterpoint", migrated=migrated)


def workspace_env(data_dir: Path, *, migrated: bool = True) -> dict[str, str]:
    """Return the environment (for CliRunner or a subprocess) that opens the workspace of `data_dir`."""
    url = data_dir_url(data_dir, migrated=migrated) if POSTGRES else ""
    return {"PLANNER_DATA_DIR": str(data_dir), "PLANNER_DATABASE_URL": url}


def use_workspace(monkeypatch, data_dir: Path, *, migrated: bool = True) -> str:
    """Point this process's app and CLI at the workspace of `data_dir` (see workspace_env); return its URL.

    On SQLite the file appears on first use; `migrated=False` gives PostgreSQL the same empty start.
    """
    for name, value in workspace_env(data_dir, migrated=migrated).items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    return data_dir_url(data_dir, migrated=migrated)


def load_demo(url: str) -> None:
    """Load the demo, with first admin 'ada', into the empty workspace at `url`."""
    from planner import demo

    workspace = open_workspace(url)
    with workspace.session() as s:
        user = auth.create_first_admin(s, "ada", PASSWORD)
        demo.load_demo(s, auth.actor_for(user))
    workspace.dispose()  # on SQLite the last connection closing checkpoints the WAL into the file


def copy_demo(template_db: Path | str, data_dir: Path) -> str:
    """Make a copy of the demo workspace the one the app and the CLI open for `data_dir`; return its URL."""
    if not POSTGRES:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template_db, data_dir / DB_FILENAME)
        return data_dir_url(data_dir)
    name = _name_for(data_dir, "counterpoint")
    drop_database(name)
    create_database(name, str(template_db))
    return pg_url_of(name)
