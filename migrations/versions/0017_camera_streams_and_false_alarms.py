"""Cameras' live stream URLs, and alarms acknowledged or dismissed as false with a reason

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stream_url", sa.String(length=500), nullable=True))
        batch_op.create_index("ix_devices_lng_lat", ["lng", "lat"], unique=False)
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_at", civicgrid.db.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dismissed_at", civicgrid.db.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("dismissed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dismiss_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(
            sa.Column("dismiss_note", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_alarms_acknowledged_by_users"),
            "users",
            ["acknowledged_by"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_alarms_dismissed_by_users"),
            "users",
            ["dismissed_by"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(
            "ix_alarms_device_dismissed", ["device_id", "dismissed_at"], unique=False
        )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.alter_column("dismiss_note", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_index("ix_alarms_device_dismissed")
        batch_op.drop_constraint(batch_op.f("fk_alarms_dismissed_by_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_alarms_acknowledged_by_users"), type_="foreignkey")
        batch_op.drop_column("dismiss_note")
        batch_op.drop_column("dismiss_reason")
        batch_op.drop_column("dismissed_by")
        batch_op.drop_column("dismissed_at")
        batch_op.drop_column("acknowledged_by")
        batch_op.drop_column("acknowledged_at")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index("ix_devices_lng_lat")
        batch_op.drop_column("stream_url")
