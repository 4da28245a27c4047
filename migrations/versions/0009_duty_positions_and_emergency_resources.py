"""On-duty grid workers' last positions (kept only while on duty) and emergency resources

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "emergency_resources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_resources")),
    )
    with op.batch_alter_table("emergency_resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_resources_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "fieldwork_duty_positions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("on_duty_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_fieldwork_duty_positions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_fieldwork_duty_positions")),
    )
    with op.batch_alter_table("fieldwork_duty_positions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fieldwork_duty_positions_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fieldwork_duty_positions_reported_at"), ["reported_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fieldwork_duty_positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fieldwork_duty_positions_reported_at"))
        batch_op.drop_index(batch_op.f("ix_fieldwork_duty_positions_region_code"))

    op.drop_table("fieldwork_duty_positions")
    with op.batch_alter_table("emergency_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_resources_region_code"))

    op.drop_table("emergency_resources")
