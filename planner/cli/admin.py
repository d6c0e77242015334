"""CLI commands for the workspace itself: db upgrade/status, backup, users."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import pandas as pd

from planner import audit, auth, backups, db
from planner.cli.common import echo_frame, workspace_session
from planner.config import load_settings


@click.group("db")
def db_group() -> None:
    """Database schema: upgrade and status."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations to the workspace database (safe to repeat)."""
    engine = db.create_db_engine(load_settings().database_url)
    try:
        before, after = db.upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"Already up to date (schema {after}).")
    else:
        click.echo(f"Upgraded schema {before or 'empty'} -> {after}.")


@db_group.command("status")
def db_status() -> None:
    """Print the database URL (password hidden) and its schema revision."""
    engine = db.create_db_engine(load_settings().database_url)
    try:
        current, head = db.schema_status(engine)
        click.echo(f"Database: {engine.url.render_as_string(hide_password=True)}")
        click.echo(f"Schema: {current or 'empty'} (this Counterpoint: {head})")
    finally:
        engine.dispose()


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path) -> None:
    """Copy the live SQLite workspace to TARGET (a new file)."""
    with workspace_session() as (ws, _session):
        db.backup_sqlite(ws.engine, target)
    click.echo(f"Backed up to {target}")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(source: Path, yes: bool) -> None:
    """Replace the SQLite workspace with the backup SOURCE (checked first; the current one is kept aside)."""
    engine = db.create_db_engine(load_settings().database_url)
    try:
        backups.require_sqlite(engine)  # before reading SOURCE: a pg_dump file is no SQLite file
        revision = backups.check_backup(source)
        live = Path(engine.url.database)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        safety = live.with_name(f"{live.stem}.before-restore-{stamp}{live.suffix}")
        if not yes:
            click.confirm(f"Replace the workspace {live} with {source} (schema {revision})?", abort=True)
        done = backups.restore_sqlite(engine, auth.CLI_ACTOR, source, safety)
    finally:
        engine.dispose()
    with workspace_session() as (_ws, session):
        chain = audit.verify(session)
    click.echo(f"Restored {source} (schema {done.revision} -> {done.head}).")
    click.echo(f"The workspace as it was is kept in {done.safety_copy}")
    click.echo(f"Audit log: {chain.line()}")


@click.group("users")
def users_group() -> None:
    """Manage user accounts (acts as the local operator, with admin rights)."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in auth.Role]), required=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.password_option("--password", help="Prompted for (twice) when not given.")
def users_add(username: str, role: str, display_name: str, password: str) -> None:
    """Create user USERNAME with ROLE."""
    with workspace_session() as (_ws, session):
        user = auth.create_user(session, auth.CLI_ACTOR, username, password, role, display_name)
        click.echo(f"Created {user.username} ({user.role}).")


@users_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
def users_list(fmt: str) -> None:
    """List users with role and status."""
    with workspace_session() as (_ws, session):
        rows = [
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "active": u.active,
                "last_login_at": u.last_login_at,
            }
            for u in auth.list_users(session)
        ]
    echo_frame(pd.DataFrame(rows, columns=["username", "name", "role", "active", "last_login_at"]), fmt)


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in auth.Role]))
def users_set_role(username: str, role: str) -> None:
    """Give USERNAME the role ROLE."""
    with workspace_session() as (_ws, session):
        user = auth.set_role(session, auth.CLI_ACTOR, username, role)
        click.echo(f"{user.username} is now {user.role}.")


@users_group.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Deactivate USERNAME (they can no longer log in; their history stays)."""
    with workspace_session() as (_ws, session):
        user = auth.set_active(session, auth.CLI_ACTOR, username, False)
        click.echo(f"{user.username} deactivated.")


@users_group.command("reactivate")
@click.argument("username")
def users_reactivate(username: str) -> None:
    """Reactivate USERNAME."""
    with workspace_session() as (_ws, session):
        user = auth.set_active(session, auth.CLI_ACTOR, username, True)
        click.echo(f"{user.username} reactivated.")


@users_group.command("reset-password")
@click.argument("username")
@click.password_option("--password", help="Prompted for (twice) when not given.")
def users_reset_password(username: str, password: str) -> None:
    """Set a new password for USERNAME."""
    with workspace_session() as (_ws, session):
        auth.change_password(session, auth.CLI_ACTOR, username, password)
        click.echo(f"Password of {username} reset.")


@click.group("audit")
def audit_group() -> None:
    """The audit log: check that nobody rewrote it."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain; print OK with the count and head, or the first broken link."""
    with workspace_session() as (_ws, session):
        report = audit.verify(session)
    if not report.ok:
        raise click.ClickException(report.line())
    click.echo(report.line())
