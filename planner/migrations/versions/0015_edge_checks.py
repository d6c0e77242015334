"""Coordination edges without foreign keys: a dense run writes millions of edges, and PostgreSQL checked each key.

Edges are written only by the detection run that writes their run and members, in the same transaction, with ids
it has just read back (planner/coordination/runs.py), and runs are never deleted; the three checks per edge cost
PostgreSQL about 2.7 microseconds each (31 s of a 48 s run that stored 3.2 million edges between 2,000 accounts
posting one text). The index on run_id stays. On SQLite the table is copied without the constraints (batch mode),
so every edge is kept.

Revision ID: 0015_edge_checks
Revises: 0014_post_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_edge_checks"
down_revision = "0014_post_keys"
branch_labels = None
depends_on = None

# (constraint, column, referred table) of each foreign key dropped.
KEYS = (
    ("fk_coordination_edges_run_id_coordination_runs", "run_id", "coordination_runs"),
    ("fk_coordination_edges_source_id_coordination_members", "source_id", "coordination_members"),
    ("fk_coordination_edges_target_id_coordination_members", "target_id", "coordination_members"),
)


def upgrade() -> None:
    with op.batch_alter_table("coordination_edges") as batch:
        for name, _column, _table in KEYS:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    # Edges left behind by members or runs deleted meanwhile would break the constraints: they go first.
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "DELETE FROM coordination_edges WHERE run_id NOT IN (SELECT id FROM coordination_runs) "
            "OR source_id NOT IN (SELECT id FROM coordination_members) "
            "OR target_id NOT IN (SELECT id FROM coordination_members)"
        )
    )
    with op.batch_alter_table("coordination_edges") as batch:
        for name, column, table in KEYS:
            batch.create_foreign_key(name, table, [column], ["id"], ondelete="CASCADE")
