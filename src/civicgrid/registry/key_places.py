"""Key places (schools, markets, fuel stations...) that grid workers patrol."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope, within
from civicgrid.divisions import normalise_code
from civicgrid.geo.service import GridIndex
from civicgrid.registry.models import KeyPlace, Organisation
from civicgrid.registry.roles import READ_ROLES, WRITE_ROLES
from civicgrid.registry.schemas import KeyPlaceIn
from civicgrid.registry.service import MAX_LIMIT, locate_place, require_role, visible


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
