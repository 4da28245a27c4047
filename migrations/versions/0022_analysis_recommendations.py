"""The monthly report's street-peer test, rates per household, stored changes and device
alarms per grid; recommendations that feed field work (analysis_recommendations)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 23:42:47
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analysis_recommendations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("risk_class", sa.String(length=40), nullable=False),
        sa.Column("flagged_by", sa.String(length=8), nullable=False),
        sa.Column("q_value", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("plans_changed", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_recommendations")),
        sa.UniqueConstraint(
            "month", "grid_code", "risk_class", name=op.f("uq_analysis_recommendations_month")
        ),
    )
    with op.batch_alter_table("analysis_recommendations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_analysis_recommendations_grid_code"), ["grid_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_analysis_recommendations_month"), ["month"], unique=False
        )

    with op.batch_alter_table("analysis_monthly_grids", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("peer_anomalies", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("households", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rate_per_1000", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("rate_per_household", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("month_on_month_pct", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("year_on_year_pct", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("device_alarms", sa.Integer(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("analysis_monthly_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("peer_anomalies", sa.Integer(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("analysis_monthly_risks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("peer_p_value", sa.Float(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("peer_q_value", sa.Float(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("peer_anomaly", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("month_on_month_pct", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("year_on_year_pct", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analysis_monthly_risks", schema=None) as batch_op:
        batch_op.drop_column("year_on_year_pct")
        batch_op.drop_column("month_on_month_pct")
        batch_op.drop_column("peer_anomaly")
        batch_op.drop_column("peer_q_value")
        batch_op.drop_column("peer_p_value")

    with op.batch_alter_table("analysis_monthly_reports", schema=None) as batch_op:
        batch_op.drop_column("peer_anomalies")

    with op.batch_alter_table("analysis_monthly_grids", schema=None) as batch_op:
        batch_op.drop_column("device_alarms")
        batch_op.drop_column("year_on_year_pct")
        batch_op.drop_column("month_on_month_pct")
        batch_op.drop_column("rate_per_household")
        batch_op.drop_column("rate_per_1000")
        batch_op.drop_column("households")
        batch_op.drop_column("peer_anomalies")

    with op.batch_alter_table("analysis_recommendations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analysis_recommendations_month"))
        batch_op.drop_index(batch_op.f("ix_analysis_recommendations_grid_code"))

    op.drop_table("analysis_recommendations")
