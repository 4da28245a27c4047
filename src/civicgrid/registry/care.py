"""Care groups (older people living alone, low-income families...): who belongs to which,
and the lists that service visits start from."""

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope, within
from civicgrid.divisions import normalise_code
from civicgrid.registry.models import CareMembership, Resident
from civicgrid.registry.roles import READ_ROLES
from civicgrid.registry.service import MAX_LIMIT, require_role


def set_care_groups(db: Session, resident: Resident, groups: Iterable[str]) -> None:
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
