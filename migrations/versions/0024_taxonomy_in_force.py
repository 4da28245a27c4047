"""The taxonomy in force: one row naming the taxonomy a city files cases under and
suggestion offers (absent: every active category, as before)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 00:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "taxonomy_in_force",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_in_force")),
    )


def downgrade() -> None:
    op.drop_table("taxonomy_in_force")
