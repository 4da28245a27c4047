"""fieldwork: plans, daily tasks, records with photos and assessment findings, flags, weights

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fieldwork_weights",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_fieldwork_weights")),
    )
    op.create_table(
        "fieldwork_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("task_type", sa.String(length=32), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_fieldwork_plans_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fieldwork_plans")),
    )
    with op.batch_alter_table("fieldwork_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fieldwork_plans_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fieldwork_plans_worker_id"), ["worker_id"], unique=False
        )
    op.create_table(
        "fieldwork_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("task_type", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("subject_ref", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("case_number", sa.String(length=32), nullable=True),
        sa.Column("client_key", sa.String(length=128), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_fieldwork_records_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fieldwork_records")),
        sa.UniqueConstraint("worker_id", "client_key", name=op.f("uq_fieldwork_records_worker_id")),
    )
    with op.batch_alter_table("fieldwork_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fieldwork_records_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fieldwork_records_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fieldwork_records_worker_id"), ["worker_id"], unique=False
        )
    op.create_table(
        "fieldwork_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("hazard", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["fieldwork_records.id"],
            name=op.f("fk_fieldwork_findings_record_id_fieldwork_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fieldwork_findings")),
        sa.UniqueConstraint("record_id", "item", name=op.f("uq_fieldwork_findings_record_id")),
    )
    op.create_table(
        "fieldwork_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("other_record_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_record_id"],
            ["fieldwork_records.id"],
            name=op.f("fk_fieldwork_flags_other_record_id_fieldwork_records"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["fieldwork_records.id"],
            name=op.f("fk_fieldwork_flags_record_id_fieldwork_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fieldwork_flags")),
        sa.UniqueConstraint("record_id", "kind", name=op.f("uq_fieldwork_flags_record_id")),
    )
    with op.batch_alter_table("fieldwork_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fieldwork_flags_region_code"), ["region_code"], unique=False
        )
    op.create_table(
        "fieldwork_record_photos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["fieldwork_records.id"],
            name=op.f("fk_fieldwork_record_photos_record_id_fieldwork_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fieldwork_record_photos")),
    )
    with op.batch_alter_table("fieldwork_record_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fieldwork_record_photos_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fieldwork_record_photos_sha256"), ["sha256"], unique=False
        )
    op.create_table(
        "fieldwork_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("task_type", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["fieldwork_plans.id"],
            name=op.f("fk_fieldwork_tasks_plan_id_fieldwork_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["fieldwork_records.id"],
            name=op.f("fk_fieldwork_tasks_record_id_fieldwork_records"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["users.id"],
            name=op.f("fk_fieldwork_tasks_worker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fieldwork_tasks")),
        sa.UniqueConstraint(
            "plan_id",
            "due_on",
            "subject_kind",
            "subject_id",
            name=op.f("uq_fieldwork_tasks_plan_id"),
        ),
    )
    with op.batch_alter_table("fieldwork_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fieldwork_tasks_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fieldwork_tasks_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            "ix_fieldwork_tasks_worker_due", ["worker_id", "due_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fieldwork_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_fieldwork_tasks_worker_due")
        batch_op.drop_index(batch_op.f("ix_fieldwork_tasks_region_code"))
        batch_op.drop_index(batch_op.f("ix_fieldwork_tasks_record_id"))
    op.drop_table("fieldwork_tasks")
    with op.batch_alter_table("fieldwork_record_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fieldwork_record_photos_sha256"))
        batch_op.drop_index(batch_op.f("ix_fieldwork_record_photos_record_id"))
    op.drop_table("fieldwork_record_photos")
    with op.batch_alter_table("fieldwork_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fieldwork_flags_region_code"))
    op.drop_table("fieldwork_flags")
    op.drop_table("fieldwork_findings")
    with op.batch_alter_table("fieldwork_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fieldwork_records_worker_id"))
        batch_op.drop_index(batch_op.f("ix_fieldwork_records_region_code"))
        batch_op.drop_index(batch_op.f("ix_fieldwork_records_occurred_at"))
    op.drop_table("fieldwork_records")
    with op.batch_alter_table("fieldwork_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fieldwork_plans_worker_id"))
        batch_op.drop_index(batch_op.f("ix_fieldwork_plans_region_code"))
    op.drop_table("fieldwork_plans")
    op.drop_table("fieldwork_weights")
