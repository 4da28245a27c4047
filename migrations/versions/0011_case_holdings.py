"""Departments that hold or held a case, so a handler reads what its department handled;
backfilled with each case's current department

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from civicgrid.db import UtcDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_holdings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_holdings_case_id_cases"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_case_holdings_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_holdings")),
        sa.UniqueConstraint("case_id", "department_id", name="uq_case_holdings_department"),
    )
    with op.batch_alter_table("case_holdings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_holdings_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_holdings_department_id"), ["department_id"], unique=False
        )
    _backfill()


def _backfill() -> None:
    """Each case's current department holds it since the case last changed.

    The history names who acted, not which department a dispatch went to, so
    departments that held a case before its current one cannot be recovered.
    """
    op.execute(
        sa.text(
            "INSERT INTO case_holdings (case_id, department_id, since) "
            "SELECT id, department_id, updated_at FROM cases WHERE department_id IS NOT NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("case_holdings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_holdings_department_id"))
        batch_op.drop_index(batch_op.f("ix_case_holdings_case_id"))
    op.drop_table("case_holdings")
