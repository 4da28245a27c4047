"""The base registry's verbs: write and read residents, households, housing, organisations,
key places and care groups inside a jurisdiction; reveal a protected value with an audit
row; re-encrypt every protected value under a new key.

Who may do what (docs/registry.md has the table): administrators, community staff and
grid workers write and reveal inside their scope; leaders and centre dispatchers read
masked rows; leaders and administrators read the reveal audit; everyone else, and
integration keys, see nothing of the registry. A row outside the actor's scope is
"not found", never "forbidden", so its existence does not leak.
"""

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor, in_scope, may_see, within
from civicgrid.divisions import Level, level_of, normalise_code
from civicgrid.errors import BatchInvalid, Conflict, Forbidden, Invalid, NotFound
from civicgrid.geo.service import GridIndex
from civicgrid.registry.addresses import AddressInput, ensure_addresses, normalise_address
from civicgrid.registry.models import (
    Address,
    CareMembership,
    DocumentKind,
    Household,
    Housing,
    KeyPlace,
    Organisation,
    Resident,
    Reveal,
)
from civicgrid.registry.protection import (
    DEVELOPMENT_KEY_FILE,
    FieldCipher,
    load_keyring,
    read_keyring,
    save_keyring,
)
from civicgrid.registry.roles import (
    AUDIT_ROLES,
    READ_ROLES,
    REMOVE_ROLES,
    REVEAL_ROLES,
    WRITE_ROLES,
)
from civicgrid.registry.schemas import (
    HouseholdIn,
    HouseholdOut,
    HousingFields,
    HousingIn,
    HousingOut,
    KeyPlaceIn,
    OrganisationFields,
    OrganisationIn,
    OrganisationOut,
    PlaceIn,
    ResidentFields,
    ResidentIn,
    ResidentOut,
)
from civicgrid.registry.sealing import (
    CONTACT_PHONE,
    DOCUMENT,
    OWNER_PHONE,
    PHONE,
    cipher_for,
    index_of,
    new_uid,
    open_token,
    seal,
)
from civicgrid.registry.validation import parse_credit_code, parse_phone, parse_resident_id
from civicgrid.settings import Settings

log = logging.getLogger(__name__)

MIN_REASON = 4
MAX_LIMIT = 200
ROTATION_BATCH = 1000

_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
_SCOPED = TypeVar("_SCOPED", bound=Resident | Household | Housing | Organisation | KeyPlace)

# What may be revealed: (subject, field) -> the row type, its token column, the sealing field.
REVEALABLE: dict[tuple[str, str], tuple[type[Resident | Housing | Organisation], str, str]] = {
    ("resident", "document_number"): (Resident, "document_token", DOCUMENT),
    ("resident", "phone"): (Resident, "phone_token", PHONE),
    ("housing", "owner_phone"): (Housing, "owner_phone_token", OWNER_PHONE),
    ("organisation", "contact_phone"): (Organisation, "contact_phone_token", CONTACT_PHONE),
}
# Every sealed column, for key rotation.
SEALED_COLUMNS: tuple[tuple[type[Resident | Housing | Organisation], str, str], ...] = (
    (Resident, "document_token", DOCUMENT),
    (Resident, "phone_token", PHONE),
    (Housing, "owner_phone_token", OWNER_PHONE),
    (Organisation, "contact_phone_token", CONTACT_PHONE),
)


def require_role(actor: Actor, roles: frozenset[Role]) -> None:
    if actor.role not in roles:
        raise Forbidden("registry_role_not_allowed")


def _require_inside(actor: Actor, region_code: str) -> None:
    """A write outside the actor's area is refused; the caller named the place, so no leak."""
    if not may_see(actor, region_code):
        raise Forbidden("registry_outside_jurisdiction", code=region_code)


def visible(db: Session, actor: Actor, model: type[_SCOPED], row_id: int) -> _SCOPED:
    """One row inside the actor's jurisdiction; anything else is simply not found."""
    row = db.scalar(select(model).where(model.id == row_id, in_scope(actor, model.region_code)))
    if row is None:
        raise NotFound("registry_not_found", id=row_id)
    return row


def locate_place(db: Session, actor: Actor, *, grid_index: GridIndex, place: PlaceIn) -> Address:
    """The leaf address of one place, created if new, and inside the actor's area."""
    item = AddressInput(place.address, place.lng, place.lat, place.grid_code)
    try:
        [address] = ensure_addresses(db, [item], grid_index=grid_index)
    except BatchInvalid as refused:
        raise refused.items[0][1] from None
    _require_inside(actor, address.region_code)
    return address


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
    _set_care_groups(db, resident, data.care_groups or [])
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
        _set_care_groups(db, resident, data.care_groups or [])
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
    if raw is None or not raw.strip():
        resident.phone_token = resident.phone_index = None
        return
    sealed = seal(cipher, parse_phone(raw).digits, field=PHONE, uid=resident.uid)
    resident.phone_token, resident.phone_index = sealed.token, sealed.index


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
        return _new_household(db, number, address, kind="family")
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


def _set_care_groups(db: Session, resident: Resident, groups: Iterable[str]) -> None:
    """Replace the resident's care groups with these, keeping the date of those that stay."""
    wanted = set(groups)
    db.execute(
        delete(CareMembership).where(
            CareMembership.resident_id == resident.id, CareMembership.care_group.not_in(wanted)
        )
    )
    present = set(
        db.scalars(
            select(CareMembership.care_group).where(CareMembership.resident_id == resident.id)
        )
    )
    db.add_all(
        CareMembership(resident_id=resident.id, care_group=group, region_code=resident.region_code)
        for group in sorted(wanted - present)
    )
    db.flush()


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
    prefix = _search_text(text)
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


def _search_text(text: str) -> str:
    normalised = normalise_address(text)
    if not normalised:
        raise Invalid("registry_search_text_required")
    return normalised


def create_household(
    db: Session, actor: Actor, *, grid_index: GridIndex, data: HouseholdIn
) -> Household:
    require_role(actor, WRITE_ROLES)
    number = data.number.strip()
    if db.scalar(select(Household.id).where(Household.number == number)) is not None:
        raise Conflict("registry_household_exists", number=number)
    address = locate_place(db, actor, grid_index=grid_index, place=data.address)
    household = _new_household(db, number, address, kind=data.kind)
    if data.housing_id is not None:
        household.housing_id = visible(db, actor, Housing, data.housing_id).id
    db.flush()
    return household


def _new_household(db: Session, number: str, address: Address, *, kind: str) -> Household:
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
        housing.owner_phone_token, housing.owner_phone_index = _sealed_phone(
            cipher, data.owner_phone, field=OWNER_PHONE, uid=housing.uid
        )


def _sealed_phone(
    cipher: FieldCipher, raw: str | None, *, field: str, uid: str
) -> tuple[bytes | None, bytes | None]:
    if raw is None or not raw.strip():
        return None, None
    sealed = seal(cipher, parse_phone(raw).digits, field=field, uid=uid)
    return sealed.token, sealed.index


def get_housing(db: Session, actor: Actor, housing_id: int) -> Housing:
    require_role(actor, READ_ROLES)
    return visible(db, actor, Housing, housing_id)


def households_in(db: Session, housing_id: int) -> list[Household]:
    return list(
        db.scalars(
            select(Household).where(Household.housing_id == housing_id).order_by(Household.id)
        )
    )


def create_organisation(
    db: Session,
    actor: Actor,
    *,
    settings: Settings,
    grid_index: GridIndex,
    data: OrganisationIn,
) -> Organisation:
    """An organisation by its credit code (GB 32100-checked); one row per code."""
    require_role(actor, WRITE_ROLES)
    code = parse_credit_code(data.credit_code).code
    if db.scalar(select(Organisation.id).where(Organisation.credit_code == code)) is not None:
        raise Conflict("registry_organisation_exists", code=code)
    address = locate_place(db, actor, grid_index=grid_index, place=data.address)
    organisation = Organisation(
        uid=new_uid(),
        name=data.name.strip(),
        credit_code=code,
        kind=data.kind.value,
        address_id=address.id,
        region_code=address.region_code,
    )
    _apply_organisation(cipher_for(settings), organisation, data)
    db.add(organisation)
    db.flush()
    return organisation


def update_organisation(
    db: Session,
    actor: Actor,
    organisation_id: int,
    *,
    settings: Settings,
    data: OrganisationFields,
) -> Organisation:
    require_role(actor, WRITE_ROLES)
    organisation = visible(db, actor, Organisation, organisation_id)
    if "name" in data.model_fields_set and data.name is not None:
        organisation.name = data.name.strip()
    if "kind" in data.model_fields_set and data.kind is not None:
        organisation.kind = data.kind.value
    _apply_organisation(cipher_for(settings), organisation, data)
    db.flush()
    return organisation


def _apply_organisation(
    cipher: FieldCipher, organisation: Organisation, data: OrganisationFields
) -> None:
    sent = data.model_fields_set
    for name in ("legal_representative", "employees"):
        if name in sent:
            setattr(organisation, name, getattr(data, name))
    if "contact_phone" in sent:
        organisation.contact_phone_token, organisation.contact_phone_index = _sealed_phone(
            cipher, data.contact_phone, field=CONTACT_PHONE, uid=organisation.uid
        )


def get_organisation(db: Session, actor: Actor, organisation_id: int) -> Organisation:
    require_role(actor, READ_ROLES)
    return visible(db, actor, Organisation, organisation_id)


def search_organisations(
    db: Session,
    actor: Actor,
    *,
    name: str | None = None,
    credit_code: str | None = None,
    limit: int = 50,
) -> list[Organisation]:
    """By exact credit code, or by the start of the name."""
    require_role(actor, READ_ROLES)
    query = select(Organisation).where(in_scope(actor, Organisation.region_code))
    if credit_code is not None:
        query = query.where(Organisation.credit_code == parse_credit_code(credit_code).code)
    elif name is not None and name.strip():
        query = query.where(Organisation.name.startswith(name.strip(), autoescape=True))
    else:
        raise Invalid("registry_search_criterion")
    return list(db.scalars(query.order_by(Organisation.name).limit(min(limit, MAX_LIMIT))))


def create_key_place(
    db: Session, actor: Actor, *, grid_index: GridIndex, data: KeyPlaceIn
) -> KeyPlace:
    require_role(actor, WRITE_ROLES)
    address = locate_place(db, actor, grid_index=grid_index, place=data.address)
    organisation = (
        visible(db, actor, Organisation, data.organisation_id).id
        if data.organisation_id is not None
        else None
    )
    place = KeyPlace(
        name=data.name.strip(),
        kind=data.kind.value,
        address_id=address.id,
        organisation_id=organisation,
        lng=data.address.lng if data.address.lng is not None else address.lng,
        lat=data.address.lat if data.address.lat is not None else address.lat,
        patrol_every_days=data.patrol_every_days,
        note=data.note,
        region_code=address.region_code,
    )
    db.add(place)
    db.flush()
    return place


def list_key_places(
    db: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    region_code: str | None = None,
    limit: int = MAX_LIMIT,
) -> list[KeyPlace]:
    """Key places in the actor's area, optionally of one kind or inside one region."""
    require_role(actor, READ_ROLES)
    query = select(KeyPlace).where(in_scope(actor, KeyPlace.region_code))
    if kind is not None:
        query = query.where(KeyPlace.kind == kind)
    if region_code is not None:
        query = query.where(within(KeyPlace.region_code, normalise_code(region_code)))
    return list(db.scalars(query.order_by(KeyPlace.id).limit(min(limit, MAX_LIMIT))))


def get_key_place(db: Session, actor: Actor, place_id: int) -> KeyPlace:
    require_role(actor, READ_ROLES)
    return visible(db, actor, KeyPlace, place_id)


def care_members(
    db: Session,
    actor: Actor,
    *,
    care_group: str,
    region_code: str | None = None,
    limit: int = MAX_LIMIT,
) -> list[tuple[CareMembership, Resident]]:
    """The people of one care group in the actor's area: the list service visits start from."""
    require_role(actor, READ_ROLES)
    query = (
        select(CareMembership, Resident)
        .join(Resident, Resident.id == CareMembership.resident_id)
        .where(
            CareMembership.care_group == care_group,
            in_scope(actor, CareMembership.region_code),
        )
    )
    if region_code is not None:
        query = query.where(within(CareMembership.region_code, normalise_code(region_code)))
    rows = db.execute(query.order_by(CareMembership.region_code, Resident.name).limit(limit))
    return [(membership, resident) for membership, resident in rows]


def care_groups_of(db: Session, resident_ids: Sequence[int]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {resident_id: [] for resident_id in resident_ids}
    if resident_ids:
        query = (
            select(CareMembership.resident_id, CareMembership.care_group)
            .where(CareMembership.resident_id.in_(resident_ids))
            .order_by(CareMembership.care_group)
        )
        for resident_id, group in db.execute(query):
            groups[resident_id].append(group)
    return groups


def addresses_by_text(db: Session, actor: Actor, *, text: str, limit: int = 50) -> list[Address]:
    """Addresses containing the text, in the actor's area, most specific last."""
    require_role(actor, READ_ROLES)
    query = (
        select(Address)
        .where(
            in_scope(actor, Address.region_code),
            Address.full_text.contains(_search_text(text), autoescape=True),
        )
        .order_by(Address.full_text)
        .limit(min(limit, MAX_LIMIT))
    )
    return list(db.scalars(query))


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


def opened(cipher: FieldCipher, row: Resident | Housing | Organisation, column: str) -> str | None:
    """A sealed column's value, for masking on the way out (never returned unmasked)."""
    token: bytes | None = getattr(row, column)
    if token is None:
        return None
    field = next(field for _, name, field in SEALED_COLUMNS if name == column)
    return open_token(cipher, token, field=field, uid=row.uid)


def reveal(
    db: Session,
    actor: Actor,
    *,
    settings: Settings,
    subject_kind: str,
    subject_id: int,
    field: str,
    reason: str,
) -> str:
    """The unmasked value, with an audit row saying who looked, at what, and why.

    Visibility is checked before the role, so a row outside the actor's area is
    "not found" whatever their role; inside it, only roles that do casework may look.
    """
    target = REVEALABLE.get((subject_kind, field))
    if target is None:
        raise Invalid("registry_reveal_field", field=field)
    model, column, _ = target
    row = visible(db, actor, model, subject_id)
    require_role(actor, REVEAL_ROLES)
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise Invalid("registry_reveal_reason", min=MIN_REASON)
    value = opened(cipher_for(settings), row, column)
    if value is None:
        raise Invalid("registry_reveal_empty")
    db.add(
        Reveal(
            user_id=actor.user_id,
            username=actor.username,
            role=actor.role.value if actor.role else "",
            subject_kind=subject_kind,
            subject_id=subject_id,
            field=field,
            reason=reason,
            region_code=row.region_code,
        )
    )
    db.flush()
    log.info("registry: %s revealed %s of %s %s", actor.username, field, subject_kind, subject_id)
    return value


def list_reveals(db: Session, actor: Actor, *, limit: int = MAX_LIMIT) -> list[Reveal]:
    """The audit of reveals in the actor's area, newest first."""
    require_role(actor, AUDIT_ROLES)
    query = (
        select(Reveal)
        .where(in_scope(actor, Reveal.region_code))
        .order_by(Reveal.at.desc(), Reveal.id.desc())
        .limit(min(limit, MAX_LIMIT))
    )
    return list(db.scalars(query))


def rotate_keys(db: Session, settings: Settings, *, add_key: bool = True) -> int:
    """Re-encrypt every protected value under the newest key; returns how many changed.

    With a key file (or the development file) a new key is added to it first,
    unless `add_key` is False: that is how a run stopped halfway is resumed,
    since tokens already under the newest key are left as they are. Keys given
    in CIVICGRID_REGISTRY_KEYS cannot be written here: the operator puts the
    keyring with its new key in the environment, restarts, and runs this with
    `add_key` False. Blind indexes use their own key and do not change. Commits
    after each batch, so a long run holds no long transaction.
    """
    if add_key:
        _add_key(settings)
    cipher = FieldCipher(load_keyring(settings))
    return sum(
        _reseal_column(db, cipher, model, column, field) for model, column, field in SEALED_COLUMNS
    )


def _add_key(settings: Settings) -> None:
    if settings.registry_keys:
        raise Invalid("registry_rotate_environment_keys")
    path = settings.registry_key_file or settings.data_dir / DEVELOPMENT_KEY_FILE
    load_keyring(settings)  # creates the development file when there is none yet
    save_keyring(path, read_keyring(path).with_new_key())


def _reseal_column(
    db: Session,
    cipher: FieldCipher,
    model: type[Resident | Housing | Organisation],
    column: str,
    field: str,
) -> int:
    token_column = getattr(model, column)
    resealed, last_id = 0, 0
    while True:
        batch = db.execute(
            select(model.id, model.uid, token_column)
            .where(model.id > last_id, token_column.is_not(None))
            .order_by(model.id)
            .limit(ROTATION_BATCH)
        ).all()
        if not batch:
            return resealed
        changes = [
            {"id": row_id, column: new}
            for row_id, uid, token in batch
            if (new := cipher.reencrypt(token, field=field, context=uid)) is not token
        ]
        if changes:
            db.execute(update(model), changes)
        db.commit()
        resealed += len(changes)
        last_id = batch[-1][0]
