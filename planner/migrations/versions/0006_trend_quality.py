"""Trend quality: excess over the expected count, surprise, folded keys and the lifecycle clock.

Revision ID: 0006_trend_quality
Revises: 0005_campaigns
"""

import sqlalchemy as sa
from alembic import op

from planner.models.base import UTCDateTime

revision = "0006_trend_quality"
down_revision = "0005_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trends") as batch:
        batch.add_column(sa.Column("excess", sa.Double(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("surprise", sa.Double(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("also", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("as_of", UTCDateTime(), nullable=True))
    with op.batch_alter_table("detection_runs") as batch:
        batch.add_column(sa.Column("as_of", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("clock", sa.String(length=16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("detection_runs") as batch:
        batch.drop_column("clock")
        batch.drop_column("as_of")
    with op.batch_alter_table("trends") as batch:
        batch.drop_column("as_of")
        batch.drop_column("also")
        batch.drop_column("surprise")
        batch.drop_column("excess")
