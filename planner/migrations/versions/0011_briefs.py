"""Brief settings per campaign: the planner's executive summary, handling label and author.

Revision ID: 0011_briefs
Revises: 0008_metrics
"""

import sqlalchemy as sa
from alembic import op

from planner.models.base import UTCDateTime

revision = "0011_briefs"
down_revision = "0008_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "brief_settings",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("handling_label", sa.String(length=120), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("executive_summary", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_brief_settings_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_brief_settings")),
    )


def downgrade() -> None:
    op.drop_table("brief_settings")
