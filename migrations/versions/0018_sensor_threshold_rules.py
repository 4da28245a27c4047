"""Sensor threshold rules: a measure beyond a limit for a duration raises an alarm type

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "threshold_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_kind", sa.String(length=32), nullable=True),
        sa.Column("device_code", sa.String(length=20), nullable=True),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("comparison", sa.String(length=2), nullable=False),
        sa.Column("limit", sa.Float(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("alarm_type", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.Column("updated_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threshold_rules")),
    )


def downgrade() -> None:
    op.drop_table("threshold_rules")
