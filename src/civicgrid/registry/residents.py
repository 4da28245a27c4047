"""Residents: writing them (ID number checked and sealed, household and address found)
and finding them again."""

import logging
import re
import unicodedata
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope, may_see, within
from civicgrid.divisions import Level, level_of, normalise_code
from civicgrid.errors import Conflict, Invalid
from civicgrid.geo.service import GridIndex
from civicgrid.registry.care import set_care_groups
from civicgrid.registry.households import new_household
from civicgrid.registry.models import Address, CareMembership, DocumentKind, Household, Resident
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.roles import READ_ROLES, REMOVE_ROLES, WRITE_ROLES
from civicgrid.registry.schemas import ResidentFields, ResidentIn
from civicgrid.registry.sealing import (
    DOCUMENT,
    PHONE,
    cipher_for,
    index_of,
    new_uid,
    seal,
    sealed_phone,
)
from civicgrid.registry.service import MAX_LIMIT, locate_place, require_role, search_text, visible
from civicgrid.registry.validation import parse_phone, parse_resident_id
from civicgrid.settings import Settings

log = logging.getLogger(__name__)

_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")


def create_resident(
    db: Session, actor: Actor, *, settings: Settings, grid_index: GridIndex, data: ResidentIn
) -> Resident:
    """A resident with their household and care groups; the ID number is checked and sealed."""
    require_role(actor, WRITE_ROLES)
    cipher = cipher_for(settings)
    resident = Resident(uid=new_uid(), name=data.name.strip())
    _set_document(db, cipher, resident, DocumentKind(data.document_kind), data.id_number)
    _set_phone(cipher, resident, data.phone)
    address = (
        locate_place(db, actor, grid_index=grid_index, place=data.address) if data.address else None
    )
    household = _household_for(db, actor, data.household_number, address)
    _place_resident(resident, address, household)
    resident.residence_kind = data.residence_kind
    resident.relation_to_head = data.relation_to_head
    resident.moved_in_on = data.moved_in_on
    db.add(resident)
    db.flush()
    set_care_groups(db, resident, data.care_groups or [])
    log.info("registry: resident %s created by %s", resident.id, actor.username)
    return resident


def update_resident(
    db: Session,
    actor: Actor,
    resident_id: int,
    *,
    settings: Settings,
    grid_index: GridIndex,
    data: ResidentFields,
) -> Resident:
    """Change what was sent; the ID number is the identity and stays."""
    require_role(actor, WRITE_ROLES)
    resident = visible(db, actor, Resident, resident_id)
    sent = data.model_fields_set
    if "phone" in sent:
        _set_phone(cipher_for(settings), resident, data.phone)
    if "address" in sent or "household_number" in sent:
        _move_resident(db, actor, resident, data, grid_index)
    for name in ("residence_kind", "relation_to_head", "moved_in_on"):
        if name in sent:
            setattr(resident, name, getattr(data, name))
    if "name" in sent and data.name is not None:
        resident.name = data.name.strip()
    if "care_groups" in sent:
        set_care_groups(db, resident, data.care_groups or [])
    db.flush()
    return resident


def _move_resident(
    db: Session, actor: Actor, resident: Resident, data: ResidentFields, grid_index: GridIndex
) -> None:
    """A new address keeps the household; a new household without an address means living there."""
    address = (
        locate_place(db, actor, grid_index=grid_index, place=data.address) if data.address else None
    )
    if "household_number" in data.model_fields_set:
        household = _household_for(db, actor, data.household_number, address)
    else:
        household = db.get(Household, resident.household_id) if resident.household_id else None
    _place_resident(resident, address, household)
    # Memberships follow the person, so a care list of the new grid shows them.
    db.execute(
        update(CareMembership)
        .where(CareMembership.resident_id == resident.id)
        .values(region_code=resident.region_code)
    )


def _set_document(
    db: Session, cipher: FieldCipher, resident: Resident, kind: DocumentKind, raw: str
) -> None:
    """Seal the number; a resident ID also gives birth date, sex and origin, never typed twice."""
    if kind is DocumentKind.RESIDENT_ID:
        checked = parse_resident_id(raw)
        number = checked.number
        resident.birth_date, resident.sex = checked.birth_date, checked.sex.value
        resident.origin_region_code = checked.region_code
    else:
        number = canonical_document(raw, kind)
    sealed = seal(cipher, number, field=DOCUMENT, uid=resident.uid)
    if db.scalar(select(Resident.id).where(Resident.document_index == sealed.index)) is not None:
        raise Conflict("registry_resident_exists")
    resident.document_kind = kind.value
    resident.document_token, resident.document_index = sealed.token, sealed.index


def canonical_document(raw: str, kind: DocumentKind = DocumentKind.RESIDENT_ID) -> str:
    """The document number as its blind index was computed: checked, upper-case, no spaces."""
    if kind is DocumentKind.RESIDENT_ID:
        return parse_resident_id(raw).number
    number = "".join(unicodedata.normalize("NFKC", raw).split()).upper()
    if not _OTHER_DOCUMENT.match(number):
        raise Invalid("registry_document_format")
    return number


def _set_phone(cipher: FieldCipher, resident: Resident, raw: str | None) -> None:
    resident.phone_token, resident.phone_index = sealed_phone(
        cipher, raw, field=PHONE, uid=resident.uid
    )


def _household_for(
    db: Session, actor: Actor, number: str | None, address: Address | None
) -> Household | None:
    """The household a resident joins by number; a new number founds one at the address."""
    if number is None:
        return None
    number = number.strip()
    household = db.scalar(select(Household).where(Household.number == number))
    if household is None:
        if address is None:
            raise Invalid("registry_household_needs_address", number=number)
        return new_household(db, number, address, kind="family")
    if not may_see(actor, household.region_code):
        raise Conflict("registry_household_exists", number=number)
    return household


def _place_resident(
    resident: Resident, address: Address | None, household: Household | None
) -> None:
    """A resident lives at their own address, else at their household's."""
    resident.household_id = household.id if household else None
    if address is not None:
        resident.address_id, resident.region_code = address.id, address.region_code
    elif household is not None:
        resident.address_id, resident.region_code = household.address_id, household.region_code
    else:
        raise Invalid("registry_resident_unplaced")


def remove_resident(db: Session, actor: Actor, resident_id: int) -> None:
    """Strike a person off the register (moved away, deceased). Reveals of them stay audited."""
    require_role(actor, REMOVE_ROLES)
    resident = visible(db, actor, Resident, resident_id)
    db.execute(delete(CareMembership).where(CareMembership.resident_id == resident.id))
    db.delete(resident)
    db.flush()
    log.info("registry: resident %s removed by %s", resident_id, actor.username)


def get_resident(db: Session, actor: Actor, resident_id: int) -> Resident:
    require_role(actor, READ_ROLES)
    return visible(db, actor, Resident, resident_id)


def residents_by_document(
    db: Session, actor: Actor, *, settings: Settings, number: str
) -> list[Resident]:
    """Exact look-up through the blind index: the number itself is never in a query."""
    require_role(actor, READ_ROLES)
    kind = DocumentKind.RESIDENT_ID if _looks_like_resident_id(number) else DocumentKind.OTHER
    index = index_of(cipher_for(settings), canonical_document(number, kind), field=DOCUMENT)
    return _residents_where(db, actor, Resident.document_index == index)


def _looks_like_resident_id(number: str) -> bool:
    """18 characters (or a legacy 15-digit number, refused with its own message)."""
    return len("".join(unicodedata.normalize("NFKC", number).split())) in {15, 18}


def residents_by_phone(
    db: Session, actor: Actor, *, settings: Settings, phone: str
) -> list[Resident]:
    require_role(actor, READ_ROLES)
    index = index_of(cipher_for(settings), parse_phone(phone).digits, field=PHONE)
    return _residents_where(db, actor, Resident.phone_index == index)


def residents_by_name(
    db: Session, actor: Actor, *, community_code: str, name: str, limit: int = 50
) -> list[Resident]:
    """Residents whose name starts with `name` in one community: how a clerk finds someone."""
    require_role(actor, READ_ROLES)
    community = normalise_code(community_code)
    if level_of(community) is not Level.COMMUNITY:
        raise Invalid("registry_community_code", code=community)
    name = name.strip()
    if not name:
        raise Invalid("registry_name_required")
    return _residents_where(
        db,
        actor,
        within(Resident.region_code, community),
        Resident.name.startswith(name, autoescape=True),
        limit=limit,
    )


def residents_by_address(
    db: Session, actor: Actor, *, text: str, limit: int = 50
) -> list[Resident]:
    """Residents at addresses whose text starts with `text` (a building lists its rooms')."""
    require_role(actor, READ_ROLES)
    prefix = search_text(text)
    at = select(Address.id).where(Address.full_text.startswith(prefix, autoescape=True))
    return _residents_where(db, actor, Resident.address_id.in_(at), limit=limit)


def _residents_where(db: Session, actor: Actor, *criteria: Any, limit: int = 50) -> list[Resident]:
    query = (
        select(Resident)
        .where(in_scope(actor, Resident.region_code), *criteria)
        .order_by(Resident.name, Resident.id)
        .limit(min(limit, MAX_LIMIT))
    )
    return list(db.scalars(query))
