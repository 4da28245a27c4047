"""The duty roster (值班表): one row per person on duty at a centre for a day's shift

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "duty_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_duty_assignments_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_duty_assignments_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_assignments")),
        sa.UniqueConstraint("region_code", "day", "shift", "user_id", name="uq_duty_assignment"),
    )
    with op.batch_alter_table("duty_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_duty_assignments_day_region", ["day", "region_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_duty_assignments_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("duty_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_assignments_user_id"))
        batch_op.drop_index("ix_duty_assignments_day_region")
    op.drop_table("duty_assignments")
