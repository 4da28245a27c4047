"""Registry exports to Excel: the actor's area only, Chinese headings, personal numbers masked.

An exported workbook leaves the platform's protection (it is mailed, printed,
left on desktops), so ID numbers and phones go out masked like on every page,
and nobody's jurisdiction grows by exporting. The headings are the importer's,
so a clerk recognises the columns of the template.
"""

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope
from civicgrid.errors import Forbidden
from civicgrid.i18n import translate
from civicgrid.masking import mask_id_number, mask_phone
from civicgrid.registry.importing.columns import ALIAS_SEPARATOR
from civicgrid.registry.importing.report import ImportKind, column_label
from civicgrid.registry.models import (
    Address,
    CareMembership,
    Household,
    Housing,
    KeyPlace,
    Organisation,
    Resident,
)
from civicgrid.registry.protection import FieldCipher
from civicgrid.registry.roles import EXPORT_ROLES
from civicgrid.registry.sealing import (
    CONTACT_PHONE,
    DOCUMENT,
    OWNER_PHONE,
    PHONE,
    open_token,
)

BATCH_ROWS = 2000
LIST_SEPARATOR = "\u3001"

Cells = list[object]


def require_exporter(actor: Actor) -> None:
    if actor.role not in EXPORT_ROLES:
        raise Forbidden("registry_import_forbidden")


def export_workbook(
    db: Session,
    *,
    kind: ImportKind,
    actor: Actor,
    cipher: FieldCipher,
    locale: str,
    target: Path | IO[bytes],
) -> int:
    """Write the kind's rows inside the actor's area to `target`; returns how many.

    The workbook is written as it is read (openpyxl's write-only mode), so a
    district's half a million residents do not sit in memory twice.
    """
    require_exporter(actor)
    columns, rows = EXPORTS[kind]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(translate(f"registry_import.kind.{kind}", locale))
    sheet.append([column_label(column, locale) for column in columns])
    count = 0
    for cells in rows(db, actor, cipher, locale):
        sheet.append(cells)
        count += 1
    workbook.save(target)
    return count


def choice_label(group: str, value: str | None, locale: str) -> str:
    """The first of a choice's spellings in the catalogue: the one the template uses."""
    if not value:
        return ""
    return translate(f"registry_import.{group}.{value}", locale).split(ALIAS_SEPARATOR)[0]


def _masked(cipher: FieldCipher, token: bytes | None, *, field: str, uid: str) -> str:
    if token is None:
        return ""
    value = open_token(cipher, token, field=field, uid=uid)
    return mask_id_number(value) if field == DOCUMENT else mask_phone(value)


def _batches(db: Session, query: Select[*tuple[Any, ...]]) -> Iterator[Sequence[Any]]:
    """Rows in batches, streamed from the database rather than loaded at once."""
    result = db.execute(query.execution_options(yield_per=BATCH_ROWS))
    yield from result.partitions()


def _resident_rows(db: Session, actor: Actor, cipher: FieldCipher, locale: str) -> Iterator[Cells]:
    query = (
        select(Resident, Household.number, Address.full_text)
        .outerjoin(Household, Resident.household_id == Household.id)
        .outerjoin(Address, Resident.address_id == Address.id)
        .where(in_scope(actor, Resident.region_code))
        .order_by(Resident.region_code, Resident.id)
    )
    for batch in _batches(db, query):
        groups = _care_groups(db, [resident.id for resident, _, _ in batch])
        for resident, household, address in batch:
            yield [
                resident.name,
                _masked(cipher, resident.document_token, field=DOCUMENT, uid=resident.uid),
                _masked(cipher, resident.phone_token, field=PHONE, uid=resident.uid),
                choice_label("residence_kind", resident.residence_kind, locale),
                household,
                resident.relation_to_head,
                resident.moved_in_on,
                LIST_SEPARATOR.join(
                    choice_label("care_group", group, locale)
                    for group in groups.get(resident.id, [])
                ),
                address,
                resident.region_code,
            ]


def _care_groups(db: Session, resident_ids: list[int]) -> dict[int, list[str]]:
    query = (
        select(CareMembership.resident_id, CareMembership.care_group)
        .where(CareMembership.resident_id.in_(resident_ids))
        .order_by(CareMembership.resident_id, CareMembership.id)
    )
    groups: dict[int, list[str]] = {}
    for resident_id, group in db.execute(query):
        groups.setdefault(resident_id, []).append(group)
    return groups


def _household_rows(
    db: Session, actor: Actor, _cipher: FieldCipher, _locale: str
) -> Iterator[Cells]:
    query = (
        select(Household, Address.full_text)
        .join(Address, Household.address_id == Address.id)
        .where(in_scope(actor, Household.region_code))
        .order_by(Household.region_code, Household.id)
    )
    for batch in _batches(db, query):
        for household, address in batch:
            yield [household.number, address, household.region_code]


def _housing_rows(db: Session, actor: Actor, cipher: FieldCipher, locale: str) -> Iterator[Cells]:
    query = (
        select(Housing, Address.full_text)
        .join(Address, Housing.address_id == Address.id)
        .where(in_scope(actor, Housing.region_code))
        .order_by(Housing.region_code, Housing.id)
    )
    for batch in _batches(db, query):
        for housing, address in batch:
            yield [
                choice_label("housing_use", housing.use, locale),
                choice_label("tenure", housing.tenure, locale),
                housing.area_m2,
                housing.owner_name,
                _masked(cipher, housing.owner_phone_token, field=OWNER_PHONE, uid=housing.uid),
                address,
                housing.region_code,
            ]


def _organisation_rows(
    db: Session, actor: Actor, cipher: FieldCipher, locale: str
) -> Iterator[Cells]:
    query = (
        select(Organisation, Address.full_text)
        .outerjoin(Address, Organisation.address_id == Address.id)
        .where(in_scope(actor, Organisation.region_code))
        .order_by(Organisation.region_code, Organisation.id)
    )
    for batch in _batches(db, query):
        for organisation, address in batch:
            phone = organisation.contact_phone_token
            yield [
                organisation.name,
                organisation.credit_code,
                choice_label("organisation_kind", organisation.kind, locale),
                organisation.legal_representative,
                _masked(cipher, phone, field=CONTACT_PHONE, uid=organisation.uid),
                organisation.employees,
                address,
                organisation.region_code,
            ]


def _key_place_rows(
    db: Session, actor: Actor, _cipher: FieldCipher, locale: str
) -> Iterator[Cells]:
    query = (
        select(KeyPlace, Organisation.credit_code, Address.full_text)
        .outerjoin(Organisation, KeyPlace.organisation_id == Organisation.id)
        .outerjoin(Address, KeyPlace.address_id == Address.id)
        .where(in_scope(actor, KeyPlace.region_code))
        .order_by(KeyPlace.region_code, KeyPlace.id)
    )
    for batch in _batches(db, query):
        for place, credit_code, address in batch:
            yield [
                place.name,
                choice_label("place_kind", place.kind, locale),
                credit_code,
                place.patrol_every_days,
                place.note,
                address,
                place.region_code,
                place.lng,
                place.lat,
            ]


RowSource = Callable[[Session, Actor, FieldCipher, str], Iterator[Cells]]

# Column keys in the importer's names, so an export reads back as a template.
EXPORTS: dict[ImportKind, tuple[tuple[str, ...], RowSource]] = {
    ImportKind.RESIDENTS: (
        (
            "name",
            "id_number",
            "phone",
            "residence_kind",
            "household_number",
            "relation_to_head",
            "moved_in_on",
            "care_groups",
            "address",
            "grid_code",
        ),
        _resident_rows,
    ),
    ImportKind.HOUSEHOLDS: (("household_number", "address", "grid_code"), _household_rows),
    ImportKind.HOUSING: (
        ("use", "tenure", "area_m2", "owner_name", "owner_phone", "address", "grid_code"),
        _housing_rows,
    ),
    ImportKind.ORGANISATIONS: (
        (
            "name",
            "credit_code",
            "organisation_kind",
            "legal_representative",
            "contact_phone",
            "employees",
            "address",
            "grid_code",
        ),
        _organisation_rows,
    ),
    ImportKind.KEY_PLACES: (
        (
            "name",
            "place_kind",
            "credit_code",
            "patrol_every_days",
            "note",
            "address",
            "grid_code",
            "lng",
            "lat",
        ),
        _key_place_rows,
    ),
}
