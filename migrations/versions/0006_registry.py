"""The base registry (一标三实): addresses, housing, households, residents, organisations,
key places, care groups, and the audit of reveals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_addresses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("full_text", sa.String(length=400), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["registry_addresses.id"],
            name=op.f("fk_registry_addresses_parent_id_registry_addresses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_addresses")),
        sa.UniqueConstraint("parent_id", "name", name=op.f("uq_registry_addresses_parent_id")),
    )
    with op.batch_alter_table("registry_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_addresses_full_text"), ["full_text"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_addresses_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_addresses_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "registry_housing",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=False),
        sa.Column("use", sa.String(length=16), nullable=False),
        sa.Column("tenure", sa.String(length=16), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=True),
        sa.Column("owner_name", sa.String(length=64), nullable=True),
        sa.Column("owner_phone_token", sa.LargeBinary(), nullable=True),
        sa.Column("owner_phone_index", sa.LargeBinary(length=16), nullable=True),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["registry_addresses.id"],
            name=op.f("fk_registry_housing_address_id_registry_addresses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_housing")),
        sa.UniqueConstraint("address_id", name=op.f("uq_registry_housing_address_id")),
        sa.UniqueConstraint("uid", name=op.f("uq_registry_housing_uid")),
    )
    with op.batch_alter_table("registry_housing", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_housing_owner_phone_index"), ["owner_phone_index"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_housing_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "registry_organisations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("legal_representative", sa.String(length=64), nullable=True),
        sa.Column("contact_phone_token", sa.LargeBinary(), nullable=True),
        sa.Column("contact_phone_index", sa.LargeBinary(length=16), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["registry_addresses.id"],
            name=op.f("fk_registry_organisations_address_id_registry_addresses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_organisations")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_registry_organisations_credit_code")),
        sa.UniqueConstraint("uid", name=op.f("uq_registry_organisations_uid")),
    )
    with op.batch_alter_table("registry_organisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_organisations_address_id"), ["address_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_organisations_contact_phone_index"),
            ["contact_phone_index"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_registry_organisations_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_registry_organisations_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "registry_households",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=False),
        sa.Column("housing_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["registry_addresses.id"],
            name=op.f("fk_registry_households_address_id_registry_addresses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["housing_id"],
            ["registry_housing.id"],
            name=op.f("fk_registry_households_housing_id_registry_housing"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_households")),
        sa.UniqueConstraint("number", name=op.f("uq_registry_households_number")),
    )
    with op.batch_alter_table("registry_households", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_households_address_id"), ["address_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_households_housing_id"), ["housing_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_households_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "registry_key_places",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("patrol_every_days", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["registry_addresses.id"],
            name=op.f("fk_registry_key_places_address_id_registry_addresses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["registry_organisations.id"],
            name=op.f("fk_registry_key_places_organisation_id_registry_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_key_places")),
    )
    with op.batch_alter_table("registry_key_places", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_key_places_address_id"), ["address_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_key_places_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_key_places_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "registry_residents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("document_kind", sa.String(length=16), nullable=False),
        sa.Column("document_token", sa.LargeBinary(), nullable=False),
        sa.Column("document_index", sa.LargeBinary(length=16), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("origin_region_code", sa.String(length=12), nullable=True),
        sa.Column("phone_token", sa.LargeBinary(), nullable=True),
        sa.Column("phone_index", sa.LargeBinary(length=16), nullable=True),
        sa.Column("residence_kind", sa.String(length=16), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("relation_to_head", sa.String(length=16), nullable=True),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("moved_in_on", sa.Date(), nullable=True),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["registry_addresses.id"],
            name=op.f("fk_registry_residents_address_id_registry_addresses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["registry_households.id"],
            name=op.f("fk_registry_residents_household_id_registry_households"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_residents")),
        sa.UniqueConstraint("document_index", name=op.f("uq_registry_residents_document_index")),
        sa.UniqueConstraint("uid", name=op.f("uq_registry_residents_uid")),
    )
    with op.batch_alter_table("registry_residents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_residents_address_id"), ["address_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_residents_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_residents_phone_index"), ["phone_index"], unique=False
        )
        batch_op.create_index(
            "ix_registry_residents_region_name", ["region_code", "name"], unique=False
        )

    op.create_table(
        "registry_reveals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("subject_kind", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_registry_reveals_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_reveals")),
    )
    with op.batch_alter_table("registry_reveals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_reveals_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_registry_reveals_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_registry_reveals_user_id"), ["user_id"], unique=False)

    op.create_table(
        "registry_care_memberships",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("care_group", sa.String(length=32), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["registry_residents.id"],
            name=op.f("fk_registry_care_memberships_resident_id_registry_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_care_memberships")),
        sa.UniqueConstraint(
            "resident_id", "care_group", name=op.f("uq_registry_care_memberships_resident_id")
        ),
    )
    with op.batch_alter_table("registry_care_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_care_memberships_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registry_care_memberships_resident_id"), ["resident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("registry_care_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_care_memberships_resident_id"))
        batch_op.drop_index(batch_op.f("ix_registry_care_memberships_region_code"))

    op.drop_table("registry_care_memberships")
    with op.batch_alter_table("registry_reveals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_reveals_user_id"))
        batch_op.drop_index(batch_op.f("ix_registry_reveals_region_code"))
        batch_op.drop_index(batch_op.f("ix_registry_reveals_at"))

    op.drop_table("registry_reveals")
    with op.batch_alter_table("registry_residents", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_residents_region_name")
        batch_op.drop_index(batch_op.f("ix_registry_residents_phone_index"))
        batch_op.drop_index(batch_op.f("ix_registry_residents_household_id"))
        batch_op.drop_index(batch_op.f("ix_registry_residents_address_id"))

    op.drop_table("registry_residents")
    with op.batch_alter_table("registry_key_places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_key_places_region_code"))
        batch_op.drop_index(batch_op.f("ix_registry_key_places_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_registry_key_places_address_id"))

    op.drop_table("registry_key_places")
    with op.batch_alter_table("registry_households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_households_region_code"))
        batch_op.drop_index(batch_op.f("ix_registry_households_housing_id"))
        batch_op.drop_index(batch_op.f("ix_registry_households_address_id"))

    op.drop_table("registry_households")
    with op.batch_alter_table("registry_organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_organisations_region_code"))
        batch_op.drop_index(batch_op.f("ix_registry_organisations_name"))
        batch_op.drop_index(batch_op.f("ix_registry_organisations_contact_phone_index"))
        batch_op.drop_index(batch_op.f("ix_registry_organisations_address_id"))

    op.drop_table("registry_organisations")
    with op.batch_alter_table("registry_housing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_housing_region_code"))
        batch_op.drop_index(batch_op.f("ix_registry_housing_owner_phone_index"))

    op.drop_table("registry_housing")
    with op.batch_alter_table("registry_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_addresses_region_code"))
        batch_op.drop_index(batch_op.f("ix_registry_addresses_parent_id"))
        batch_op.drop_index(batch_op.f("ix_registry_addresses_full_text"))

    op.drop_table("registry_addresses")
