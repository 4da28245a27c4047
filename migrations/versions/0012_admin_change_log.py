"""The administrators' change log: hash-chained rows and the chain's head

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_changes")),
        sa.UniqueConstraint("sequence", name=op.f("uq_admin_changes_sequence")),
    )
    with op.batch_alter_table("admin_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_admin_changes_actor"), ["actor"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_admin_changes_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_admin_changes_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_admin_changes_region_code"), ["region_code"], unique=False
        )
    op.create_table(
        "admin_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_chain_head")),
    )


def downgrade() -> None:
    op.drop_table("admin_chain_head")
    with op.batch_alter_table("admin_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_changes_region_code"))
        batch_op.drop_index(batch_op.f("ix_admin_changes_kind"))
        batch_op.drop_index(batch_op.f("ix_admin_changes_created_at"))
        batch_op.drop_index(batch_op.f("ix_admin_changes_actor"))
    op.drop_table("admin_changes")
