"""Registry rows as responses show them: masked, with their addresses, households and groups."""

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.registry.care import care_groups_of
from civicgrid.registry.households import households_in, members_of
from civicgrid.registry.models import Address, Household, Housing, Organisation, Resident
from civicgrid.registry.schemas import HouseholdOut, HousingOut, OrganisationOut, ResidentOut
from civicgrid.registry.sealing import cipher_for, opened
from civicgrid.settings import Settings


def addresses_by_id(db: Session, ids: Iterable[int | None]) -> dict[int, Address]:
    wanted = {address_id for address_id in ids if address_id is not None}
    if not wanted:
        return {}
    return {row.id: row for row in db.scalars(select(Address).where(Address.id.in_(wanted)))}


def households_by_id(db: Session, ids: Iterable[int | None]) -> dict[int, Household]:
    wanted = {household_id for household_id in ids if household_id is not None}
    if not wanted:
        return {}
    query = select(Household).where(Household.id.in_(wanted))
    return {row.id: row for row in db.scalars(query)}


def resident_views(
    db: Session, settings: Settings, residents: Sequence[Resident]
) -> list[ResidentOut]:
    """Residents as responses show them, masked, with three queries for the whole list."""
    cipher = cipher_for(settings)
    addresses = addresses_by_id(db, (row.address_id for row in residents))
    households = households_by_id(db, (row.household_id for row in residents))
    groups = care_groups_of(db, [row.id for row in residents])
    return [
        ResidentOut.of(
            row,
            document=opened(cipher, row, "document_token") or "",
            phone=opened(cipher, row, "phone_token"),
            household=households.get(row.household_id) if row.household_id else None,
            address=addresses.get(row.address_id) if row.address_id else None,
            care_groups=groups[row.id],
        )
        for row in residents
    ]


def household_view(db: Session, household: Household) -> HouseholdOut:
    address = db.get_one(Address, household.address_id)
    return HouseholdOut.of(household, address=address, members=members_of(db, [household.id]))


def housing_view(db: Session, settings: Settings, housing: Housing) -> HousingOut:
    """The dwelling with its households and tenants (the members of those households)."""
    households = households_in(db, housing.id)
    return HousingOut.of(
        housing,
        owner_phone=opened(cipher_for(settings), housing, "owner_phone_token"),
        address=db.get_one(Address, housing.address_id),
        households=households,
        tenants=members_of(db, [household.id for household in households]),
    )


def organisation_views(
    db: Session, settings: Settings, organisations: Sequence[Organisation]
) -> list[OrganisationOut]:
    cipher = cipher_for(settings)
    addresses = addresses_by_id(db, (row.address_id for row in organisations))
    return [
        OrganisationOut.of(
            row,
            contact_phone=opened(cipher, row, "contact_phone_token"),
            address=addresses.get(row.address_id) if row.address_id else None,
        )
        for row in organisations
    ]
