"""Safe compounds and communities (平安小区 / 零发案): the monthly lists and their places

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 00:08:20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safe_place_lists",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_safe_place_lists")),
    )
    op.create_table(
        "safe_places",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("place_code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["month"],
            ["safe_place_lists.month"],
            name=op.f("fk_safe_places_month_safe_place_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safe_places")),
        sa.UniqueConstraint("month", "level", "place_code", name=op.f("uq_safe_places_month")),
    )
    with op.batch_alter_table("safe_places", schema=None) as batch_op:
        batch_op.create_index("ix_safe_places_month_region", ["month", "region_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safe_places", schema=None) as batch_op:
        batch_op.drop_index("ix_safe_places_month_region")
    op.drop_table("safe_places")
    op.drop_table("safe_place_lists")
