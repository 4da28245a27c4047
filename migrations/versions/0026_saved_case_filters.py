"""Saved case filters: each workbench user's named queue filters (saved_case_filters)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 00:31:40
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_case_filters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_case_filters_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_case_filters")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_case_filters_user_id")),
    )
    with op.batch_alter_table("saved_case_filters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_case_filters_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("saved_case_filters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_case_filters_user_id"))
    op.drop_table("saved_case_filters")
