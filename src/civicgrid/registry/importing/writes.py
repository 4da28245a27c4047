"""Writing a chunk's good rows: multi-row inserts per kind, personal fields as sealed (seals)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from civicgrid.bulk import insert_rows, one_of
from civicgrid.registry.importing.checks import load_households
from civicgrid.registry.importing.report import ImportKind
from civicgrid.registry.importing.rows import Context, Row
from civicgrid.registry.models import (
    CareMembership,
    DocumentKind,
    Household,
    Housing,
    KeyPlace,
    Organisation,
    OrganisationKind,
    Resident,
)
from civicgrid.registry.sealing import CONTACT_PHONE, DOCUMENT, OWNER_PHONE, PHONE


def _write_residents(context: Context, rows: list[Row]) -> int:
    _create_households(context)
    records = [_resident_record(context, row) for row in rows]
    insert_rows(context.db, Resident, records)
    _add_care_groups(context, rows, records)
    return len(records)


def _add_care_groups(context: Context, rows: list[Row], records: list[dict[str, Any]]) -> None:
    """Care-group memberships of the residents just written, found by their uids."""
    cared = {
        record["uid"]: row
        for row, record in zip(rows, records, strict=True)
        if row.values["care_groups"]
    }
    if not cared:
        return
    ids = context.db.execute(
        select(Resident.uid, Resident.id).where(one_of(context.db, Resident.uid, cared))
    )
    memberships = [
        {
            "resident_id": resident_id,
            "care_group": group,
            "note": "",
            "region_code": cared[uid].region_code,
        }
        for uid, resident_id in ids
        for group in cared[uid].values["care_groups"]
    ]
    insert_rows(context.db, CareMembership, memberships)


def _create_households(context: Context) -> None:
    """The households this chunk's rows introduced, at the first member's address."""
    pending = {
        number: row for number, row in context.new_households.items() if row.address_id is not None
    }
    records = [
        {
            "number": number,
            "address_id": row.address_id,
            "kind": "family",
            "region_code": row.region_code,
            "created_at": context.now,
        }
        for number, row in pending.items()
    ]
    insert_rows(context.db, Household, records)
    for number in pending:
        del context.new_households[number]
    load_households(context, set(pending))


def _resident_record(context: Context, row: Row) -> dict[str, Any]:
    """The row's record, its ID number and phone as sealed when it was read (seals.py)."""
    values = row.values
    person = values["id_number"]
    document = row.sealed[DOCUMENT]
    phone = row.sealed.get(PHONE)
    return {
        "uid": row.uid,
        "name": values["name"],
        "document_kind": DocumentKind.RESIDENT_ID.value,
        "document_token": document.token,
        "document_index": document.index,
        "birth_date": person.birth_date,
        "sex": person.sex.value,
        "origin_region_code": person.region_code,
        "phone_token": phone.token if phone else None,
        "phone_index": phone.index if phone else None,
        "residence_kind": values["residence_kind"],
        "household_id": context.households.get(values["household_number"] or ""),
        "relation_to_head": values["relation_to_head"],
        "address_id": row.address_id,
        "moved_in_on": values["moved_in_on"],
        "region_code": row.region_code,
        "created_at": context.now,
        "updated_at": context.now,
    }


def _write_households(context: Context, rows: list[Row]) -> int:
    records = [
        {
            "number": row.values["household_number"],
            "address_id": row.address_id,
            "kind": "family",
            "region_code": row.region_code,
            "created_at": context.now,
        }
        for row in rows
    ]
    insert_rows(context.db, Household, records)
    return len(records)


def _write_housing(context: Context, rows: list[Row]) -> int:
    """Dwellings at addresses that have none yet; a second one at the same address is refused."""
    address_ids = [row.address_id for row in rows]
    taken = set(
        context.db.scalars(select(Housing.address_id).where(Housing.address_id.in_(address_ids)))
    )
    for row in rows:
        if row.address_id in taken:
            row.refuse("address", "registry_import_housing_registered")
    records = [_housing_record(context, row) for row in rows if row.ok]
    insert_rows(context.db, Housing, records)
    return len(records)


def _housing_record(context: Context, row: Row) -> dict[str, Any]:
    values = row.values
    phone = row.sealed.get(OWNER_PHONE)
    return {
        "uid": row.uid,
        "address_id": row.address_id,
        "use": values["use"],
        "tenure": values["tenure"],
        "area_m2": values["area_m2"],
        "owner_name": values["owner_name"],
        "owner_phone_token": phone.token if phone else None,
        "owner_phone_index": phone.index if phone else None,
        "region_code": row.region_code,
        "created_at": context.now,
        "updated_at": context.now,
    }


def _write_organisations(context: Context, rows: list[Row]) -> int:
    records = [_organisation_record(context, row) for row in rows]
    insert_rows(context.db, Organisation, records)
    return len(records)


def _organisation_record(context: Context, row: Row) -> dict[str, Any]:
    values = row.values
    phone = row.sealed.get(CONTACT_PHONE)
    return {
        "uid": row.uid,
        "name": values["name"],
        "credit_code": values["credit_code"].code,
        "kind": values["organisation_kind"] or OrganisationKind.OTHER.value,
        "address_id": row.address_id,
        "legal_representative": values["legal_representative"],
        "contact_phone_token": phone.token if phone else None,
        "contact_phone_index": phone.index if phone else None,
        "employees": values["employees"],
        "region_code": row.region_code,
        "created_at": context.now,
    }


def _write_key_places(context: Context, rows: list[Row]) -> int:
    records = [
        {
            "name": row.values["name"],
            "kind": row.values["place_kind"],
            "address_id": row.address_id,
            "organisation_id": _organisation_id(context, row),
            "lng": row.values["lng"],
            "lat": row.values["lat"],
            "patrol_every_days": row.values["patrol_every_days"] or 7,
            "note": row.values["note"] or "",
            "region_code": row.region_code,
            "created_at": context.now,
        }
        for row in rows
    ]
    insert_rows(context.db, KeyPlace, records)
    return len(records)


def _organisation_id(context: Context, row: Row) -> int | None:
    credit = row.values["credit_code"]
    return None if credit is None else context.organisations[credit.code]


WRITERS: dict[ImportKind, Callable[[Context, list[Row]], int]] = {
    ImportKind.RESIDENTS: _write_residents,
    ImportKind.HOUSEHOLDS: _write_households,
    ImportKind.HOUSING: _write_housing,
    ImportKind.ORGANISATIONS: _write_organisations,
    ImportKind.KEY_PLACES: _write_key_places,
}
