"""An account an administrator created or reset must change its password first
(users.must_change_password); the history's closings found by status and time
(ix_case_actions_to_status_created_at) for the command centre's figures

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("case_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_actions_to_status_created_at", ["to_status", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_case_actions_to_status_created_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
