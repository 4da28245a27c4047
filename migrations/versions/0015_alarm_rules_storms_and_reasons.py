"""Alarm rules as data in the database, each alarm's reason, and alarm cases with their counts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alarm_rules",
        sa.Column("alarm_type", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("route_to", sa.String(length=40), nullable=True),
        sa.Column("opens_case", sa.Boolean(), nullable=False),
        sa.Column("dedupe_minutes", sa.Integer(), nullable=False),
        sa.Column("flap_count", sa.Integer(), nullable=False),
        sa.Column("flap_minutes", sa.Integer(), nullable=False),
        sa.Column("storm_count", sa.Integer(), nullable=False),
        sa.Column("storm_minutes", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("alarm_type", name=op.f("pk_alarm_rules")),
    )
    op.create_table(
        "alarm_cases",
        sa.Column("case_number", sa.String(length=24), nullable=False),
        sa.Column("alarm_type", sa.String(length=40), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("alarm_count", sa.Integer(), nullable=False),
        sa.Column("first_alarm_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.Column("last_alarm_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_number"],
            ["cases.number"],
            name=op.f("fk_alarm_cases_case_number_cases"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_alarm_cases_device_id_devices"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("case_number", name=op.f("pk_alarm_cases")),
    )
    op.create_index(
        "ix_alarm_cases_type_last", "alarm_cases", ["alarm_type", "last_alarm_at"], unique=False
    )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.JSON(), nullable=False, server_default="{}"))
    # Cases alarms opened before this revision get their counts, so a joining alarm adds to them.
    op.execute(
        "INSERT INTO alarm_cases (case_number, alarm_type, device_id, region_code, alarm_count,"
        " first_alarm_at, last_alarm_at)"
        " SELECT case_number, MIN(alarm_type), MIN(device_id), MIN(region_code), COUNT(*),"
        " MIN(received_at), MAX(received_at) FROM alarms WHERE case_number IS NOT NULL"
        " GROUP BY case_number"
    )


def downgrade() -> None:
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_column("reason")
    op.drop_index("ix_alarm_cases_type_last", table_name="alarm_cases")
    op.drop_table("alarm_cases")
    op.drop_table("alarm_rules")
