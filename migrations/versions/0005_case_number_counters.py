"""A counter per district and day for case numbers, carried on from the numbers already given

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_number_counters",
        sa.Column("prefix", sa.String(length=14), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_case_number_counters")),
    )
    # Numbers are district (6) + local date (8) + sequence (5): go on from the highest.
    op.execute(
        "INSERT INTO case_number_counters (prefix, last) "
        "SELECT substr(number, 1, 14), max(CAST(substr(number, 15) AS INTEGER)) "
        "FROM cases GROUP BY substr(number, 1, 14)"
    )


def downgrade() -> None:
    op.drop_table("case_number_counters")
