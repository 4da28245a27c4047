"""HTTP routes of emergency resources."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.db import RowId
from civicgrid.geo.crs import Crs
from civicgrid.resources import service
from civicgrid.resources.models import Resource, ResourceKind

router = APIRouter(prefix="/api/v1/resources", tags=["resources"])

# People a shelter takes or a team counts; the column is 32 bits on PostgreSQL.
MAX_CAPACITY = 1_000_000


class ResourceIn(BaseModel):
    kind: ResourceKind
    name: str = Field(min_length=1, max_length=200)
    lng: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Crs = Crs.WGS84
    region_code: str | None = Field(default=None, max_length=15)
    contact: str = Field(default="", max_length=120)
    capacity: int | None = Field(default=None, ge=0, le=MAX_CAPACITY)
    note: str = Field(default="", max_length=2000)


class ResourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    lng: float
    lat: float
    region_code: str
    contact: str
    capacity: int | None
    note: str
    distance_m: float | None = None

    @classmethod
    def of(cls, resource: Resource, distance: float | None = None) -> "ResourceOut":
        out = cls.model_validate(resource)
        out.distance_m = None if distance is None else round(distance, 1)
        return out


@router.post("", response_model=ResourceOut, status_code=status.HTTP_201_CREATED)
def post_resource(
    body: ResourceIn, request: Request, db: DbSession, actor: CurrentActor
) -> ResourceOut:
    data = service.ResourceInput(**body.model_dump())
    resource = service.create_resource(
        db, actor, grid_index=request.app.state.grid_index, data=data
    )
    db.commit()
    return ResourceOut.of(resource)


@router.get("", response_model=list[ResourceOut])
def get_resources(
    db: DbSession,
    actor: CurrentActor,
    kind: ResourceKind | None = None,
    near_lng: Annotated[float | None, Query(ge=-180, le=180)] = None,
    near_lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
) -> list[ResourceOut]:
    """The area's resources; with a WGS-84 point, nearest first with their distance."""
    near = None if near_lng is None or near_lat is None else (near_lng, near_lat)
    found = service.list_resources(db, actor, kind=kind, near=near)
    return [ResourceOut.of(resource, distance) for resource, distance in found]


@router.delete("/{resource_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_resource(resource_id: RowId, db: DbSession, actor: CurrentActor) -> Response:
    service.delete_resource(db, actor, resource_id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
