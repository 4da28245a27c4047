"""Households and the dwellings (housing) they live in."""

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope
from civicgrid.errors import Conflict, NotFound
from civicgrid.geo.service import GridIndex
from civicgrid.registry.models import Address, Household, Housing, Resident
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.roles import READ_ROLES, WRITE_ROLES
from civicgrid.registry.schemas import HouseholdIn, HousingFields, HousingIn
from civicgrid.registry.sealing import OWNER_PHONE, cipher_for, new_uid, sealed_phone
from civicgrid.registry.service import locate_place, require_role, visible
from civicgrid.settings import Settings


def create_household(
    db: Session, actor: Actor, *, grid_index: GridIndex, data: HouseholdIn
) -> Household:
    require_role(actor, WRITE_ROLES)
    number = data.number.strip()
    if db.scalar(select(Household.id).where(Household.number == number)) is not None:
        raise Conflict("registry_household_exists", number=number)
    address = locate_place(db, actor, grid_index=grid_index, place=data.address)
    household = new_household(db, number, address, kind=data.kind)
    if data.housing_id is not None:
        household.housing_id = visible(db, actor, Housing, data.housing_id).id
    db.flush()
    return household


def new_household(db: Session, number: str, address: Address, *, kind: str) -> Household:
    """A household is linked to the dwelling at its address when there is one."""
    housing = db.scalar(select(Housing.id).where(Housing.address_id == address.id))
    household = Household(
        number=number,
        address_id=address.id,
        housing_id=housing,
        kind=kind,
        region_code=address.region_code,
    )
    db.add(household)
    db.flush()
    return household


def get_household(db: Session, actor: Actor, household_id: int) -> Household:
    require_role(actor, READ_ROLES)
    return visible(db, actor, Household, household_id)


def household_by_number(db: Session, actor: Actor, number: str) -> Household:
    require_role(actor, READ_ROLES)
    household = db.scalar(
        select(Household).where(
            Household.number == number.strip(), in_scope(actor, Household.region_code)
        )
    )
    if household is None:
        raise NotFound("registry_household_not_found", number=number.strip())
    return household


def members_of(db: Session, household_ids: Sequence[int]) -> list[Resident]:
    """Residents of these households (already checked visible: a household's members live in it)."""
    if not household_ids:
        return []
    query = select(Resident).where(Resident.household_id.in_(household_ids)).order_by(Resident.id)
    return list(db.scalars(query))


def create_housing(
    db: Session, actor: Actor, *, settings: Settings, grid_index: GridIndex, data: HousingIn
) -> Housing:
    require_role(actor, WRITE_ROLES)
    address = locate_place(db, actor, grid_index=grid_index, place=data.address)
    if db.scalar(select(Housing.id).where(Housing.address_id == address.id)) is not None:
        raise Conflict("registry_housing_exists", address=address.full_text)
    housing = Housing(uid=new_uid(), address_id=address.id, region_code=address.region_code)
    _apply_housing(cipher_for(settings), housing, data, set(HousingFields.model_fields))
    db.add(housing)
    db.flush()
    # Households already registered at the address live in this dwelling.
    db.execute(
        update(Household)
        .where(Household.address_id == address.id, Household.housing_id.is_(None))
        .values(housing_id=housing.id)
    )
    return housing


def update_housing(
    db: Session, actor: Actor, housing_id: int, *, settings: Settings, data: HousingFields
) -> Housing:
    require_role(actor, WRITE_ROLES)
    housing = visible(db, actor, Housing, housing_id)
    _apply_housing(cipher_for(settings), housing, data, data.model_fields_set)
    db.flush()
    return housing


def _apply_housing(
    cipher: FieldCipher, housing: Housing, data: HousingFields, sent: set[str]
) -> None:
    """Set the fields that were sent; use and tenure cannot be emptied."""
    for name in ("use", "tenure", "area_m2", "owner_name"):
        value = getattr(data, name)
        if name in sent and (value is not None or name in {"area_m2", "owner_name"}):
            setattr(housing, name, value)
    if "owner_phone" in sent:
        housing.owner_phone_token, housing.owner_phone_index = sealed_phone(
            cipher, data.owner_phone, field=OWNER_PHONE, uid=housing.uid
        )


def get_housing(db: Session, actor: Actor, housing_id: int) -> Housing:
    require_role(actor, READ_ROLES)
    return visible(db, actor, Housing, housing_id)


def households_in(db: Session, housing_id: int) -> list[Household]:
    return list(
        db.scalars(
            select(Household).where(Household.housing_id == housing_id).order_by(Household.id)
        )
    )
