"""Reporters' phones and names on cases are sealed like the registry's, with a blind index
for tracking by phone; the clear columns go

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from civicgrid.cases.reporters import NAME, PHONE, phone_digits
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.sealing import cipher_for, index_of, seal
from civicgrid.settings import get_settings

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASES = sa.table(
    "cases",
    sa.column("id", sa.Integer()),
    sa.column("number", sa.String()),
    sa.column("reporter_phone", sa.String()),
    sa.column("reporter_name", sa.String()),
    sa.column("reporter_phone_token", sa.LargeBinary()),
    sa.column("reporter_phone_index", sa.LargeBinary()),
    sa.column("reporter_name_token", sa.LargeBinary()),
)
BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reporter_phone_token", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("reporter_phone_index", sa.LargeBinary(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("reporter_name_token", sa.LargeBinary(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_cases_reporter_phone_index"), ["reporter_phone_index"], unique=False
        )
    _seal_existing_rows(op.get_bind())
    # In place (SQLite 3.35+ drops a plain column): rebuilding cases would trip the
    # foreign keys of every table that points at it.
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("reporter_phone")
        batch_op.drop_column("reporter_name")


def _seal_existing_rows(connection: sa.Connection) -> None:
    """Seal in batches by id; the keys are loaded only when a row has something to seal."""
    has_reporter = sa.or_(CASES.c.reporter_phone.is_not(None), CASES.c.reporter_name.is_not(None))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(CASES.c.id, CASES.c.number, CASES.c.reporter_phone, CASES.c.reporter_name)
            .where(has_reporter, CASES.c.id > last_id)
            .order_by(CASES.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        cipher = cipher_for(get_settings())
        for row in rows:
            connection.execute(
                sa.update(CASES).where(CASES.c.id == row.id).values(**_sealed(cipher, row))
            )
        last_id = rows[-1].id


def _sealed(cipher: FieldCipher, row: Any) -> dict[str, bytes | None]:
    """What cases/reporters.py writes for a new case, written here for an old one."""
    phone, name, number = row.reporter_phone, row.reporter_name, row.number
    digits = phone_digits(phone)
    return {
        "reporter_phone_token": seal(cipher, phone, field=PHONE, uid=number).token
        if phone
        else None,
        "reporter_phone_index": index_of(cipher, digits, field=PHONE) if digits else None,
        "reporter_name_token": seal(cipher, name, field=NAME, uid=number).token if name else None,
    }


def downgrade() -> None:
    """The clear columns come back empty: a downgrade does not unseal personal data."""
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("reporter_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reporter_phone", sa.String(length=32), nullable=True))
        batch_op.drop_index(batch_op.f("ix_cases_reporter_phone_index"))
        batch_op.drop_column("reporter_name_token")
        batch_op.drop_column("reporter_phone_index")
        batch_op.drop_column("reporter_phone_token")
