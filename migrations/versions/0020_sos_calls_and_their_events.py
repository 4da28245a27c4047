"""SOS calls (一键报警) and their events: raised, escalated, acknowledged, each with its reason

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 20:28:10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sos_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("press_key", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("case_number", sa.String(length=24), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("place", sa.String(length=255), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("centre_code", sa.String(length=15), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ack_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("notified", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["users.id"],
            name=op.f("fk_sos_calls_acknowledged_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_number"],
            ["cases.number"],
            name=op.f("fk_sos_calls_case_number_cases"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_sos_calls_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sos_calls_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sos_calls")),
        sa.UniqueConstraint("press_key", name=op.f("uq_sos_calls_press_key")),
    )
    with op.batch_alter_table("sos_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sos_calls_ack_due_at"), ["ack_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sos_calls_case_number"), ["case_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_sos_calls_region_code"), ["region_code"], unique=False)

    op.create_table(
        "sos_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sos_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sos_id"],
            ["sos_calls.id"],
            name=op.f("fk_sos_events_sos_id_sos_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sos_events_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sos_events")),
    )
    with op.batch_alter_table("sos_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sos_events_sos_id"), ["sos_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sos_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sos_events_sos_id"))

    op.drop_table("sos_events")
    with op.batch_alter_table("sos_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sos_calls_region_code"))
        batch_op.drop_index(batch_op.f("ix_sos_calls_case_number"))
        batch_op.drop_index(batch_op.f("ix_sos_calls_ack_due_at"))

    op.drop_table("sos_calls")
