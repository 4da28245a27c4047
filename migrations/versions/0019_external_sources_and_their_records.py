"""External sources (110, 12345, letters and visits) and the records imported from them

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 20:29:52.740801
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("created_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.Column("updated_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_external_sources_name")),
    )
    with op.batch_alter_table("external_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_sources_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "external_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.Column("risk_class", sa.String(length=40), nullable=False),
        sa.Column("source_type", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("imported_at", civicgrid.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["external_sources.id"],
            name=op.f("fk_external_records_source_id_external_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_records")),
        sa.UniqueConstraint("source_id", "record_id", name=op.f("uq_external_records_source_id")),
    )
    with op.batch_alter_table("external_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_records_region_code"), ["region_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("external_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_records_region_code"))

    op.drop_table("external_records")
    with op.batch_alter_table("external_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_sources_region_code"))

    op.drop_table("external_sources")
