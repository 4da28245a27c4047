"""City components (部件) under GB/T 30428.2 codes, placed in grids, and the component a
case is about (case_components); the old `device` API keys are revoked (a device proves
itself with its own code and key, docs/alarms.md)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 20:45:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "components",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("class_code", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_components_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
        sa.UniqueConstraint("code", name=op.f("uq_components_code")),
    )
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_components_class_code"), ["class_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_components_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_components_region_code"), ["region_code"], unique=False
        )

    _add_case_component()

    _retire_device_api_keys()


def _add_case_component() -> None:
    """A table of its own: a constrained column on cases would rebuild cases on SQLite."""
    op.create_table(
        "case_components",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_components_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_case_components_component_id_components"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_components")),
    )
    with op.batch_alter_table("case_components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_components_component_id"), ["component_id"], unique=False
        )


def _retire_device_api_keys() -> None:
    """Keys of the retired `device` kind name no device: they stop working here."""
    api_keys = sa.table(
        "api_keys",
        sa.column("kind", sa.String()),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        api_keys.update()
        .where(api_keys.c.kind == "device", api_keys.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


def downgrade() -> None:
    """The retired device keys stay revoked: a downgrade restores schema, not secrets."""
    with op.batch_alter_table("case_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_components_component_id"))
    op.drop_table("case_components")

    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_components_region_code"))
        batch_op.drop_index(batch_op.f("ix_components_department_id"))
        batch_op.drop_index(batch_op.f("ix_components_class_code"))

    op.drop_table("components")
