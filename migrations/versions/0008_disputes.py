"""disputes: dispute cases, parties, history, sessions, follow-ups, mediators, triage settings

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispute_number_counters",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_dispute_number_counters")),
    )
    op.create_table(
        "dispute_triage_settings",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dispute_triage_settings")),
    )
    op.create_table(
        "mediator_profiles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mediator_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_profiles")),
        sa.UniqueConstraint("user_id", name=op.f("uq_mediator_profiles_user_id")),
    )
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_number", sa.String(length=24), nullable=True),
        sa.Column("referred_by", sa.String(length=120), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("people_involved", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=True),
        sa.Column("assignment_reason", sa.Text(), nullable=False),
        sa.Column("referral_target", sa.String(length=24), nullable=True),
        sa.Column("agreement_terms", sa.Text(), nullable=True),
        sa.Column("performance_method", sa.Text(), nullable=True),
        sa.Column("performance_deadline", sa.Date(), nullable=True),
        sa.Column("agreement_file", sa.String(length=255), nullable=True),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_number"],
            ["cases.number"],
            name=op.f("fk_disputes_case_number_cases"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["mediator_id"],
            ["users.id"],
            name=op.f("fk_disputes_mediator_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("number", name=op.f("uq_disputes_number")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_case_number"), ["case_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_mediator_id"), ["mediator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_status"), ["status"], unique=False)

    op.create_table(
        "dispute_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=40), nullable=True),
        sa.Column("to_status", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_events_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_events")),
        sa.UniqueConstraint("dispute_id", "sequence", name="uq_dispute_events_sequence"),
    )
    with op.batch_alter_table("dispute_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispute_events_dispute_id"), ["dispute_id"], unique=False
        )

    op.create_table(
        "dispute_follow_ups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_follow_ups_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_follow_ups")),
    )
    with op.batch_alter_table("dispute_follow_ups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispute_follow_ups_dispute_id"), ["dispute_id"], unique=False
        )

    op.create_table(
        "dispute_parties",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone_token", sa.LargeBinary(), nullable=True),
        sa.Column("phone_index", sa.LargeBinary(length=16), nullable=True),
        sa.Column("document_token", sa.LargeBinary(), nullable=True),
        sa.Column("document_index", sa.LargeBinary(length=16), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_dispute_parties_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_parties")),
        sa.UniqueConstraint("uid", name=op.f("uq_dispute_parties_uid")),
    )
    with op.batch_alter_table("dispute_parties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispute_parties_dispute_id"), ["dispute_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dispute_parties_document_index"), ["document_index"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dispute_parties_phone_index"), ["phone_index"], unique=False
        )

    op.create_table(
        "mediation_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=255), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.id"],
            name=op.f("fk_mediation_sessions_dispute_id_disputes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_sessions")),
    )
    with op.batch_alter_table("mediation_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mediation_sessions_dispute_id"), ["dispute_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mediation_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mediation_sessions_dispute_id"))

    op.drop_table("mediation_sessions")
    with op.batch_alter_table("dispute_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_parties_phone_index"))
        batch_op.drop_index(batch_op.f("ix_dispute_parties_document_index"))
        batch_op.drop_index(batch_op.f("ix_dispute_parties_dispute_id"))

    op.drop_table("dispute_parties")
    with op.batch_alter_table("dispute_follow_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_follow_ups_dispute_id"))

    op.drop_table("dispute_follow_ups")
    with op.batch_alter_table("dispute_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_events_dispute_id"))

    op.drop_table("dispute_events")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_status"))
        batch_op.drop_index(batch_op.f("ix_disputes_region_code"))
        batch_op.drop_index(batch_op.f("ix_disputes_mediator_id"))
        batch_op.drop_index(batch_op.f("ix_disputes_kind"))
        batch_op.drop_index(batch_op.f("ix_disputes_case_number"))

    op.drop_table("disputes")
    op.drop_table("mediator_profiles")
    op.drop_table("dispute_triage_settings")
    op.drop_table("dispute_number_counters")
