"""Tamper-evident audit log: a hash chain over every entry, and no REPLACE (SQLite) or TRUNCATE (PostgreSQL).

Adds audit_log.hash and fills it for the existing entries in id order (nothing is changed or lost but the new
column). The append-only triggers are lifted only for that backfill, inside the migration's transaction.

Revision ID: 0012_audit_chain
Revises: 0011_briefs
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_audit_chain"
down_revision = "0011_briefs"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit log is append-only"
SQLITE_UPDATE_TRIGGER = (
    f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
)


def _backfill(conn) -> None:
    from planner.models.audit import GENESIS, entry_hash

    rows = conn.execute(
        sa.text(
            "SELECT id, at, actor_id, actor_name, action, object_type, object_id, summary FROM audit_log ORDER BY id"
        )
    )
    previous = GENESIS
    updates = []
    for row in rows:
        previous = entry_hash(previous, *row[1:])
        updates.append({"id": row[0], "hash": previous})
    if updates:
        conn.execute(sa.text("UPDATE audit_log SET hash = :hash WHERE id = :id"), updates)


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("audit_log", sa.Column("hash", sa.String(length=64), nullable=False, server_default=""))
    if conn.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        _backfill(conn)
        op.execute(SQLITE_UPDATE_TRIGGER)
        # REPLACE deletes the old row without firing a delete trigger (unless recursive_triggers is on): refuse any
        # insert whose id is already taken, before the conflict is resolved.
        op.execute(
            "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
            "WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
    elif conn.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        _backfill(conn)
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        _backfill(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
        # SQLite rebuilds the table to drop a column; its triggers go with it and come back afterwards.
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        with op.batch_alter_table("audit_log") as batch:
            batch.drop_column("hash")
        op.execute(SQLITE_UPDATE_TRIGGER)
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
    else:
        if conn.dialect.name == "postgresql":
            op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.drop_column("audit_log", "hash")
