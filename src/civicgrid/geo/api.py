"""Geography endpoints: locate a point, read regions and their shapes."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from civicgrid.deps import CurrentActor, DbSession
from civicgrid.geo import service
from civicgrid.geo.codes import Level
from civicgrid.geo.crs import Crs
from civicgrid.geo.schemas import LocateOut, RegionOut

router = APIRouter(prefix="/api/v1/geo", tags=["geo"])

GEOJSON = "application/geo+json"


@router.get("/locate", response_model=LocateOut)
def get_locate(
    request: Request,
    db: DbSession,
    lng: Annotated[float, Query(ge=-180, le=180, description="longitude")],
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude")],
    crs: Crs = Crs.WGS84,
) -> LocateOut:
    """The grid, community, street and district of a point, or `unlocated: true`.

    Open to anyone: a resident reporting a problem needs it before signing in.
    """
    placement = service.locate(db, request.app.state.grid_index, lng=lng, lat=lat, crs=crs)
    return LocateOut.of(placement)


@router.get("/regions/{code}", response_model=RegionOut)
def get_region(code: str, db: DbSession, actor: CurrentActor) -> RegionOut:
    region = service.visible_region(db, actor, code)
    return RegionOut.with_children(region, service.visible_children(db, actor, region))


@router.get("/regions/{code}/grids.geojson", response_class=Response)
def get_grids_geojson(
    code: str, db: DbSession, actor: CurrentActor, bbox: str | None = None
) -> Response:
    """Simplified grid shapes for display, only those inside the caller's jurisdiction."""
    body = service.features_geojson(
        db, actor, code, level=Level.GRID, bbox=service.parse_bbox(bbox)
    )
    return Response(body, media_type=GEOJSON)


@router.get("/regions/{code}/features.geojson", response_class=Response)
def get_features_geojson(
    code: str, db: DbSession, actor: CurrentActor, level: Level, bbox: str | None = None
) -> Response:
    """Simplified shapes of one level below a region (districts, streets, communities)."""
    body = service.features_geojson(db, actor, code, level=level, bbox=service.parse_bbox(bbox))
    return Response(body, media_type=GEOJSON)
