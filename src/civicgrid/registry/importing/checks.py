"""The checks of each kind against the file and the stored registry, one query per chunk."""

from collections.abc import Callable

from sqlalchemy import select

from civicgrid.auth.models import Department
from civicgrid.auth.scope import may_see
from civicgrid.bulk import one_of
from civicgrid.registry.cells import folded
from civicgrid.registry.importing.report import ImportKind
from civicgrid.registry.importing.rows import Context, Row
from civicgrid.registry.models import Household, Organisation, Resident


def _check_residents(context: Context, rows: list[Row]) -> None:
    """Each ID number once in the file and not yet in the registry; households known.

    The blind index was computed when the row was read (seals.py)."""
    fresh = [
        row for row in rows if not context.repeated(row, "id_number", row.values["document_index"])
    ]
    indexes = [row.values["document_index"] for row in fresh]
    stored = set(
        context.db.scalars(
            select(Resident.document_index).where(
                one_of(context.db, Resident.document_index, indexes)
            )
        )
    )
    for row in fresh:
        if row.values["document_index"] in stored:
            row.refuse("id_number", "registry_import_id_registered")
    _check_households(context, [row for row in rows if row.ok and row.values["household_number"]])


def _check_households(context: Context, rows: list[Row]) -> None:
    """A household number names a stored household, or a new one given with an address."""
    load_households(context, {row.values["household_number"] for row in rows})
    for row in rows:
        number = row.values["household_number"]
        if number in context.households or number in context.new_households:
            continue
        if not row.values.get("address"):
            row.refuse("household_number", "registry_import_household_unknown", number=number)
        else:
            context.new_households[number] = row


def load_households(context: Context, numbers: set[str]) -> None:
    unknown = [number for number in numbers if number not in context.households]
    if not unknown:
        return
    query = select(Household.number, Household.id, Household.region_code).where(
        one_of(context.db, Household.number, unknown)
    )
    for number, household_id, region_code in context.db.execute(query):
        # A household outside the actor's area is not joined; the row says it is unknown.
        if may_see(context.actor, region_code):
            context.households[number] = household_id


def _check_new_households(context: Context, rows: list[Row]) -> None:
    numbers = [row.values["household_number"] for row in rows]
    stored = set(context.db.scalars(select(Household.number).where(Household.number.in_(numbers))))
    for row in rows:
        number = row.values["household_number"]
        if context.repeated(row, "household_number", number):
            continue
        if number in stored:
            row.refuse("household_number", "registry_import_household_registered", number=number)


def _check_housing(context: Context, rows: list[Row]) -> None:
    for row in rows:
        context.repeated(row, "address", folded(row.values["address"]))


def _check_organisations(context: Context, rows: list[Row]) -> None:
    codes = [row.values["credit_code"].code for row in rows]
    stored = set(
        context.db.scalars(
            select(Organisation.credit_code).where(Organisation.credit_code.in_(codes))
        )
    )
    for row in rows:
        code = row.values["credit_code"].code
        if context.repeated(row, "credit_code", code):
            continue
        if code in stored:
            row.refuse("credit_code", "registry_import_credit_registered", code=code)


def _check_key_places(context: Context, rows: list[Row]) -> None:
    """A key place's credit code links it to an organisation already in the registry and in view."""
    linked = [row for row in rows if row.values["credit_code"] is not None]
    codes = {row.values["credit_code"].code for row in linked} - context.organisations.keys()
    if codes:
        query = select(Organisation.credit_code, Organisation.id, Organisation.region_code).where(
            Organisation.credit_code.in_(codes)
        )
        for code, organisation_id, region_code in context.db.execute(query):
            if may_see(context.actor, region_code):
                context.organisations[code] = organisation_id
    for row in linked:
        code = row.values["credit_code"].code
        if code not in context.organisations:
            row.refuse("credit_code", "registry_import_organisation_unknown", code=code)


def check_departments(context: Context, rows: list[Row]) -> None:
    """The owner department a row names by code exists; its id goes into `department_id`.

    Devices and city components both name the department that owns them.
    """
    named = {row.values["department_code"] for row in rows if row.values["department_code"]}
    query = select(Department.code, Department.id).where(Department.code.in_(named))
    known: dict[str, int] = dict(context.db.execute(query).all())
    for row in rows:
        code = row.values["department_code"]
        row.values["department_id"] = known.get(code) if code else None
        if code and code not in known:
            row.refuse("department_code", "department_not_found", code=code)


CHECKS: dict[ImportKind, Callable[[Context, list[Row]], None]] = {
    ImportKind.RESIDENTS: _check_residents,
    ImportKind.HOUSEHOLDS: _check_new_households,
    ImportKind.HOUSING: _check_housing,
    ImportKind.ORGANISATIONS: _check_organisations,
    ImportKind.KEY_PLACES: _check_key_places,
}
