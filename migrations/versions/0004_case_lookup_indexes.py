"""Case loop look-ups: indexes on merged cases, intake time and place; category edit times

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:05:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        # Reporters of merged cases follow the survivor: looked up on every resolution.
        batch_op.create_index(batch_op.f("ix_cases_merged_into_id"), ["merged_into_id"])
        # Duplicate look-ups and indicators scan a time window, then a bounding box.
        batch_op.create_index(batch_op.f("ix_cases_created_at"), ["created_at"])
        batch_op.create_index("ix_cases_lng_lat", ["lng", "lat"])
    # Intake keeps the taxonomy in memory and reads it again when the newest edit changes.
    op.add_column("categories", sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.execute(sa.text("UPDATE categories SET updated_at = :now").bindparams(now=datetime.now(UTC)))
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.alter_column("updated_at", nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_lng_lat")
        batch_op.drop_index(batch_op.f("ix_cases_created_at"))
        batch_op.drop_index(batch_op.f("ix_cases_merged_into_id"))
