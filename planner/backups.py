"""Back up and restore a SQLite workspace: check that a file is a workspace this version can open, restore it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from planner import audit
from planner.audit import Actor
from planner.auth import Action, require
from planner.db import _alembic_config, atomic, backup_sqlite, upgrade
from planner.errors import PlannerError


class RestoreError(PlannerError):
    """The file cannot be restored: not a Counterpoint workspace, damaged, or from a newer schema."""


SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables every Counterpoint workspace has had since its first schema.
WORKSPACE_TABLES = frozenset({"alembic_version", "users", "audit_log", "workspace_settings"})


def _page_size(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA page_size").fetchone()[0]


def check_backup(path: Path) -> str:
    """Return the schema revision of the SQLite workspace copy at `path`; raise RestoreError if it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise RestoreError(f"{path}: no such file")
    with open(path, "rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise RestoreError(f"{path}: not a Counterpoint workspace (not an SQLite database)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise RestoreError(f"{path}: cannot be opened: {exc}") from exc
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted(WORKSPACE_TABLES - tables)
        if missing:
            raise RestoreError(f"{path}: not a Counterpoint workspace (no {', '.join(missing)} table)")
        versions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise RestoreError(f"{path}: damaged or not a workspace: {exc}") from exc
    finally:
        conn.close()
    if check != "ok":
        raise RestoreError(f"{path}: damaged: {check}")
    if len(versions) != 1:
        raise RestoreError(f"{path}: not a Counterpoint workspace (no single schema revision)")
    script = ScriptDirectory.from_config(_alembic_config())
    try:
        script.get_revision(versions[0])
    except Exception as exc:
        raise RestoreError(
            f"{path}: written by a newer Counterpoint (schema {versions[0]!r}; this one knows up to "
            f"{script.get_current_head()!r}): upgrade Counterpoint before restoring it"
        ) from exc
    return versions[0]


def require_sqlite(engine: Engine) -> None:
    """Raise RestoreError, naming the PostgreSQL tools, unless `engine` is an SQLite workspace."""
    if engine.dialect.name == "postgresql":
        raise RestoreError(
            "restore replaces SQLite workspaces only; this one is PostgreSQL: restore a pg_dump backup with "
            "pg_restore (README, 'Deploy for a team')"
        )
    if engine.dialect.name != "sqlite":
        raise RestoreError(f"restore replaces SQLite workspaces only; this one is {engine.dialect.name}")


@dataclass
class Restored:
    revision: str  # the backup's schema revision
    head: str  # the schema after restoring (migrated to this Counterpoint's)
    safety_copy: Path  # the workspace as it was just before


def restore_sqlite(engine: Engine, actor: Actor, source: Path, safety_copy: Path) -> Restored:
    """Replace the live SQLite workspace with the copy at `source` (checked first), migrate it, audit it.

    The current workspace is first copied to `safety_copy` with the online backup, so a restore can be undone.
    Only admins restore (PermissionDenied otherwise); RestoreError when the copy is unusable.
    """
    require(actor, Action.MANAGE_USERS)
    require_sqlite(engine)
    revision = check_backup(source)
    backup_sqlite(engine, safety_copy)
    engine.dispose()
    raw = engine.raw_connection()
    try:
        src = sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True)
        try:
            dest = raw.driver_connection
            # SQLite copies into a WAL database only pages of its own size: a backup from a workspace with other
            # pages (4 KiB before Counterpoint chose 16 KiB) goes in with a rollback journal, then WAL again.
            other_pages = _page_size(src) != _page_size(dest)
            if other_pages:
                dest.execute("PRAGMA journal_mode=DELETE")
            src.backup(dest)
            if other_pages:
                dest.execute("PRAGMA journal_mode=WAL")
        finally:
            src.close()
    finally:
        raw.close()
    engine.dispose()
    _, head = upgrade(engine)
    with Session(engine) as session, atomic(session):
        audit.record(
            session,
            actor,
            "workspace.restore",
            "workspace",
            "",
            f"restored from {Path(source).name} (schema {revision})",
        )
    return Restored(revision=revision, head=head, safety_copy=Path(safety_copy))
