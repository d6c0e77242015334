"""Schedule entries, per-channel cadence rules, crisis pauses and calendar subscription tokens.

Revision ID: 0007_schedule
Revises: 0005_campaigns
"""

import sqlalchemy as sa
from alembic import op

from planner.models.base import UTCDateTime

revision = "0007_schedule"
down_revision = "0006_trend_quality"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cadence_rules",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("posts_per_day", sa.Integer(), nullable=False),
        sa.Column("min_gap_minutes", sa.Integer(), nullable=False),
        sa.Column("allowed_hours", sa.Text(), nullable=False),
        sa.Column("blackout_dates", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_cadence_rules_channel_id_channels"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_cadence_rules_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_cadence_rules")),
    )
    op.create_table(
        "calendar_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_calendar_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_tokens_token_hash")),
    )
    op.create_table(
        "schedule_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("resumed_at", UTCDateTime(), nullable=True),
        sa.Column("resumed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_schedule_pauses_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_schedule_pauses_channel_id_channels"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_schedule_pauses_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["resumed_by"], ["users.id"], name=op.f("fk_schedule_pauses_resumed_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_pauses")),
    )
    op.create_index("ix_schedule_pauses_starts", "schedule_pauses", ["starts_at"], unique=False)
    op.create_table(
        "schedule_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_url", sa.String(length=2048), nullable=True),
        sa.Column("platform_post_id", sa.String(length=255), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("trend_id", sa.Integer(), nullable=True),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("published_during_pause", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_schedule_entries_channel_id_channels"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_schedule_entries_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_schedule_entries_draft_id_drafts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["trend_id"], ["trends.id"], name=op.f("fk_schedule_entries_trend_id_trends"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["draft_variants.id"],
            name=op.f("fk_schedule_entries_variant_id_draft_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_entries")),
    )
    op.create_index("ix_schedule_entries_at", "schedule_entries", ["scheduled_at"], unique=False)
    op.create_index("ix_schedule_entries_channel_at", "schedule_entries", ["channel_id", "scheduled_at"], unique=False)
    op.create_index("ix_schedule_entries_draft", "schedule_entries", ["draft_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_schedule_entries_draft", table_name="schedule_entries")
    op.drop_index("ix_schedule_entries_channel_at", table_name="schedule_entries")
    op.drop_index("ix_schedule_entries_at", table_name="schedule_entries")
    op.drop_table("schedule_entries")
    op.drop_index("ix_schedule_pauses_starts", table_name="schedule_pauses")
    op.drop_table("schedule_pauses")
    op.drop_table("calendar_tokens")
    op.drop_table("cadence_rules")
