"""Reach metrics: snapshots of published entries over time, import runs, confirmed post references, an index.

Revision ID: 0008_metrics
Revises: 0007_schedule
"""

import sqlalchemy as sa
from alembic import op

from planner.models.base import UTCDateTime

revision = "0008_metrics"
down_revision = "0007_schedule"
branch_labels = None
depends_on = None

COUNTS = (
    "impressions",
    "reach",
    "likes",
    "replies",
    "reposts",
    "quotes",
    "shares",
    "link_clicks",
    "saves",
    "video_views",
    "completions_25",
    "completions_50",
    "completions_75",
    "completions_100",
    "follows_gained",
)


def upgrade() -> None:
    op.create_table(
        "metric_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("preset", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("recorded", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_metric_imports_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_imports")),
    )
    op.create_table(
        "metric_snapshots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("captured_at", UTCDateTime(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=True) for name in COUNTS],
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["schedule_entries.id"],
            name=op.f("fk_metric_snapshots_entry_id_schedule_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["metric_imports.id"],
            name=op.f("fk_metric_snapshots_import_id_metric_imports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_metric_snapshots_recorded_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_snapshots")),
        sa.UniqueConstraint("entry_id", "captured_at", name="uq_metric_snapshots_entry_captured"),
    )
    op.create_index("ix_metric_snapshots_import", "metric_snapshots", ["import_id"])
    op.create_table(
        "metric_post_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=512), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["schedule_entries.id"],
            name=op.f("fk_metric_post_refs_entry_id_schedule_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["users.id"], name=op.f("fk_metric_post_refs_confirmed_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_post_refs")),
        sa.UniqueConstraint("platform", "ref", name="uq_metric_post_refs_platform_ref"),
    )
    op.create_index("ix_metric_post_refs_entry", "metric_post_refs", ["entry_id"])
    op.create_index("ix_schedule_entries_published", "schedule_entries", ["status", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_schedule_entries_published", table_name="schedule_entries")
    op.drop_table("metric_post_refs")
    op.drop_index("ix_metric_snapshots_import", table_name="metric_snapshots")
    op.drop_table("metric_snapshots")
    op.drop_table("metric_imports")
