"""Frigate camera names on devices, scene rules and the alarm dead letters

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 20:26:41
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alarm_dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_bytes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_dead_letters")),
    )
    with op.batch_alter_table("alarm_dead_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_dead_letters_reason"), ["reason"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_alarm_dead_letters_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alarm_dead_letters_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "scene_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("camera", sa.String(length=64), nullable=True),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("min_dwell_seconds", sa.Integer(), nullable=False),
        sa.Column("min_count", sa.Integer(), nullable=False),
        sa.Column("window_start_minute", sa.Integer(), nullable=True),
        sa.Column("window_end_minute", sa.Integer(), nullable=True),
        sa.Column("alarm_type", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scene_rules")),
    )
    with op.batch_alter_table("scene_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scene_rules_region_code"), ["region_code"], unique=False
        )

    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frigate_camera", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_devices_frigate_camera"), ["frigate_camera"]
        )


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_devices_frigate_camera"), type_="unique")
        batch_op.drop_column("frigate_camera")

    with op.batch_alter_table("scene_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scene_rules_region_code"))

    op.drop_table("scene_rules")
    with op.batch_alter_table("alarm_dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_dead_letters_region_code"))
        batch_op.drop_index(batch_op.f("ix_alarm_dead_letters_received_at"))
        batch_op.drop_index(batch_op.f("ix_alarm_dead_letters_reason"))

    op.drop_table("alarm_dead_letters")
