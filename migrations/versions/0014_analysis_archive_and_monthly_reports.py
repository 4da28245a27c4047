"""The event archive's watermarks and the stored 微智理 monthly reports

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archive_watermarks",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("updated_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_archive_watermarks")),
    )
    op.create_table(
        "analysis_monthly_reports",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("baseline_months", sa.Integer(), nullable=False),
        sa.Column("tests", sa.Integer(), nullable=False),
        sa.Column("anomalies", sa.Integer(), nullable=False),
        sa.Column("computed_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_analysis_monthly_reports")),
    )
    op.create_table(
        "analysis_monthly_grids",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("previous_month", sa.Integer(), nullable=False),
        sa.Column("year_ago", sa.Integer(), nullable=False),
        sa.Column("anomalies", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["month"],
            ["analysis_monthly_reports.month"],
            name=op.f("fk_analysis_monthly_grids_month_analysis_monthly_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("month", "grid_code", name=op.f("pk_analysis_monthly_grids")),
    )
    op.create_table(
        "analysis_monthly_risks",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("risk_class", sa.String(length=40), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("previous_month", sa.Integer(), nullable=False),
        sa.Column("year_ago", sa.Integer(), nullable=False),
        sa.Column("baseline_mean", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("q_value", sa.Float(), nullable=False),
        sa.Column("anomaly", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["month"],
            ["analysis_monthly_reports.month"],
            name=op.f("fk_analysis_monthly_risks_month_analysis_monthly_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "month", "grid_code", "risk_class", name=op.f("pk_analysis_monthly_risks")
        ),
    )


def downgrade() -> None:
    op.drop_table("analysis_monthly_risks")
    op.drop_table("analysis_monthly_grids")
    op.drop_table("analysis_monthly_reports")
    op.drop_table("archive_watermarks")
