"""Coordination detection runs, their clusters of accounts, members and co-action edges.

Revision ID: 0004_coordination
Revises: 0003_trends
"""

import sqlalchemy as sa
from alembic import op

from planner.models.base import UTCDateTime

revision = "0004_coordination"
down_revision = "0003_trends"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coordination_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("window_s", sa.Double(), nullable=False),
        sa.Column("min_weight", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Double(), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=True),
        sa.Column("until", UTCDateTime(), nullable=True),
        sa.Column("posts_considered", sa.Integer(), nullable=False),
        sa.Column("edge_count", sa.Integer(), nullable=False),
        sa.Column("account_count", sa.Integer(), nullable=False),
        sa.Column("cluster_count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_coordination_runs_created_by_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_coordination_runs"),
    )
    op.create_table(
        "coordination_clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("shared_objects", sa.Integer(), nullable=False),
        sa.Column("communities", sa.Integer(), nullable=False),
        sa.Column("total_weight", sa.Integer(), nullable=False),
        sa.Column("median_delay_s", sa.Double(), nullable=True),
        sa.Column("first_at", UTCDateTime(), nullable=True),
        sa.Column("last_at", UTCDateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["coordination_runs.id"],
            name="fk_coordination_clusters_run_id_coordination_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_coordination_clusters"),
    )
    op.create_index("ix_coordination_clusters_run", "coordination_clusters", ["run_id"])
    op.create_table(
        "coordination_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("author_id", sa.String(128), nullable=False),
        sa.Column("author_handle", sa.String(128), nullable=False),
        sa.Column("community", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("strength", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["coordination_runs.id"],
            name="fk_coordination_members_run_id_coordination_runs",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["coordination_clusters.id"],
            name="fk_coordination_members_cluster_id_coordination_clusters",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_coordination_members"),
    )
    op.create_index("ix_coordination_members_cluster", "coordination_members", ["cluster_id"])
    op.create_index("ix_coordination_members_account", "coordination_members", ["run_id", "platform", "author_id"])
    op.create_table(
        "coordination_edges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["coordination_runs.id"],
            name="fk_coordination_edges_run_id_coordination_runs",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["coordination_members.id"],
            name="fk_coordination_edges_source_id_coordination_members",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["coordination_members.id"],
            name="fk_coordination_edges_target_id_coordination_members",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_coordination_edges"),
    )
    op.create_index("ix_coordination_edges_run", "coordination_edges", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_coordination_edges_run", table_name="coordination_edges")
    op.drop_table("coordination_edges")
    op.drop_index("ix_coordination_members_account", table_name="coordination_members")
    op.drop_index("ix_coordination_members_cluster", table_name="coordination_members")
    op.drop_table("coordination_members")
    op.drop_index("ix_coordination_clusters_run", table_name="coordination_clusters")
    op.drop_table("coordination_clusters")
    op.drop_table("coordination_runs")
