"""What field work is done to: the registry's households, key places and care residents.

The only module of field work that reads the registry. The reads are
read-only and each goes through the jurisdiction filter; when the registry's
service offers the same look-ups, these functions become calls to it.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope
from civicgrid.errors import NotFound
from civicgrid.fieldwork.models import SubjectKind
from civicgrid.registry.models import Address, CareMembership, Household, KeyPlace, Resident

# A target with no interval of its own: the plan's cadence decides.
NO_INTERVAL = 0


@dataclass(frozen=True)
class Place:
    """Where a household lives, for the case a visit opens."""

    household_number: str
    address: str
    lng: float | None
    lat: float | None


def targets_of(db: Session, worker: Actor, kind: SubjectKind) -> dict[int, int]:
    """Every target of `kind` inside the worker's area: id -> its own patrol interval in days."""
    if kind is SubjectKind.HOUSEHOLD:
        ids = db.scalars(select(Household.id).where(in_scope(worker, Household.region_code)))
        return dict.fromkeys(ids, NO_INTERVAL)
    if kind is SubjectKind.KEY_PLACE:
        rows = db.execute(
            select(KeyPlace.id, KeyPlace.patrol_every_days).where(
                in_scope(worker, KeyPlace.region_code)
            )
        )
        return {place_id: max(1, every) for place_id, every in rows}
    if kind is SubjectKind.RESIDENT:
        ids = db.scalars(
            select(CareMembership.resident_id)
            .where(in_scope(worker, CareMembership.region_code))
            .distinct()
        )
        return dict.fromkeys(ids, NO_INTERVAL)
    return {0: NO_INTERVAL}


SUBJECT_TABLES: dict[SubjectKind, type[Household] | type[KeyPlace] | type[Resident]] = {
    SubjectKind.HOUSEHOLD: Household,
    SubjectKind.KEY_PLACE: KeyPlace,
    SubjectKind.RESIDENT: Resident,
}


def require_subject(db: Session, actor: Actor, kind: SubjectKind, subject_id: int) -> None:
    """A household, key place or resident the actor may see; anything else is not found."""
    table = SUBJECT_TABLES[kind]
    found = db.scalar(
        select(table.id).where(table.id == subject_id, in_scope(actor, table.region_code))
    )
    if found is None:
        raise NotFound("fieldwork_subject_not_found", kind=kind.value, id=subject_id)


def household_place(db: Session, actor: Actor, household_id: int) -> Place:
    """The household's number and standard address, inside the actor's area."""
    row = db.execute(
        select(Household.number, Address.full_text, Address.lng, Address.lat)
        .join(Address, Address.id == Household.address_id)
        .where(Household.id == household_id, in_scope(actor, Household.region_code))
    ).first()
    if row is None:
        raise NotFound("fieldwork_subject_not_found", kind="household", id=household_id)
    return Place(household_number=row[0], address=row[1], lng=row[2], lat=row[3])
