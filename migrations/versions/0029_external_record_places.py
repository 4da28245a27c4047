"""External records keep their place's H3 cell and compound (external_records.h3_cell,
compound_id), never the point or the address they were worked out from

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("external_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("h3_cell", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("compound_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("external_records", schema=None) as batch_op:
        batch_op.drop_column("compound_id")
        batch_op.drop_column("h3_cell")
