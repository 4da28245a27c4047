"""Knowledge base and consultation documents (knowledge_documents, consult_documents)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_kind", sa.String(length=8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_documents")),
    )
    with op.batch_alter_table("knowledge_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_knowledge_documents_region_code"), ["region_code"], unique=False
        )
    op.create_table(
        "consult_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=120), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.Column("knowledge_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["knowledge_id"],
            ["knowledge_documents.id"],
            name=op.f("fk_consult_documents_knowledge_id_knowledge_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consult_documents")),
        sa.UniqueConstraint("kind", "source_ref", name=op.f("uq_consult_documents_kind")),
    )
    with op.batch_alter_table("consult_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consult_documents_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_consult_documents_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consult_documents_knowledge_id"), ["knowledge_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consult_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consult_documents_knowledge_id"))
        batch_op.drop_index(batch_op.f("ix_consult_documents_region_code"))
        batch_op.drop_index(batch_op.f("ix_consult_documents_kind"))
    op.drop_table("consult_documents")
    with op.batch_alter_table("knowledge_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_documents_region_code"))
    op.drop_table("knowledge_documents")
