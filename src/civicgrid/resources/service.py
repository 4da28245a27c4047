"""Emergency resources: registered by the centre inside its area, found nearest an event."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import require_role
from civicgrid.divisions import normalise_code
from civicgrid.errors import Forbidden, Invalid, NotFound
from civicgrid.geo.crs import Crs, to_wgs84
from civicgrid.geo.distance import great_circle_m
from civicgrid.geo.service import GridIndex
from civicgrid.resources.models import Resource, ResourceKind
from civicgrid.resources.roles import KEEPERS, READERS


@dataclass(frozen=True)
class ResourceInput:
    kind: ResourceKind
    name: str
    lng: float
    lat: float
    crs: Crs = Crs.WGS84
    region_code: str | None = None
    contact: str = ""
    capacity: int | None = None
    note: str = ""


def create_resource(
    db: Session, actor: Actor, *, grid_index: GridIndex, data: ResourceInput
) -> Resource:
    """A resource belongs to the grid its point lies in, or to the area the centre names."""
    require_role(actor, KEEPERS)
    lng, lat = (float(value) for value in to_wgs84(data.lng, data.lat, data.crs))
    region = _region(db, grid_index, lng, lat, data.region_code)
    if not may_see(actor, region):
        raise Forbidden("resource_outside_jurisdiction", code=region)
    resource = Resource(
        kind=data.kind.value,
        name=data.name.strip(),
        lng=lng,
        lat=lat,
        region_code=region,
        contact=data.contact.strip(),
        capacity=data.capacity,
        note=data.note.strip(),
    )
    db.add(resource)
    db.flush()
    _log(db, actor, "create", resource, before=None, after=_snapshot(resource))
    return resource


def _snapshot(resource: Resource) -> dict[str, Any]:
    """The resource as the change log keeps it (a contact's phone comes out masked)."""
    fields = ("kind", "name", "lng", "lat", "region_code", "contact", "capacity", "note")
    return {name: getattr(resource, name) for name in fields}


def _log(
    db: Session,
    actor: Actor,
    action: str,
    resource: Resource,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    record_change(
        db,
        author=actor,
        kind=ChangeKind.RESOURCE,
        action=action,
        target=str(resource.id),
        region_code=resource.region_code,
        before=before,
        after=after,
    )


def _region(db: Session, grid_index: GridIndex, lng: float, lat: float, given: str | None) -> str:
    locator = grid_index.current(db)
    slot = int(locator.locate_many([lng], [lat])[0])
    if slot >= 0:
        return str(locator.codes[slot])
    if given:
        return normalise_code(given)
    raise Invalid("resource_unlocated")


def list_resources(
    db: Session,
    actor: Actor,
    *,
    kind: ResourceKind | None = None,
    near: tuple[float, float] | None = None,
    limit: int = 500,
) -> list[tuple[Resource, float | None]]:
    """The area's resources, nearest first when `near` (a WGS-84 point) is given."""
    require_role(actor, READERS)
    query = select(Resource).where(in_scope(actor, Resource.region_code))
    if kind is not None:
        query = query.where(Resource.kind == kind.value)
    rows = list(db.scalars(query.order_by(Resource.id)))
    if near is None:
        return [(row, None) for row in rows[:limit]]
    measured: list[tuple[Resource, float | None]] = [
        (row, great_circle_m(near[0], near[1], row.lng, row.lat)) for row in rows
    ]
    return sorted(measured, key=lambda pair: pair[1] or 0.0)[:limit]


def delete_resource(db: Session, actor: Actor, resource_id: int) -> None:
    require_role(actor, KEEPERS)
    resource = db.scalar(
        select(Resource).where(Resource.id == resource_id, in_scope(actor, Resource.region_code))
    )
    if resource is None:
        raise NotFound("resource_not_found", id=resource_id)
    _log(db, actor, "delete", resource, before=_snapshot(resource), after=None)
    db.delete(resource)
