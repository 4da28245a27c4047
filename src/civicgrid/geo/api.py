"""Geography endpoints: locate a point, read regions and their shapes."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.auth.service import require_role
from civicgrid.divisions import Level
from civicgrid.geo import region_search, service
from civicgrid.geo.crs import Crs
from civicgrid.geo.grid_import import import_grids
from civicgrid.geo.roles import GRID_IMPORTERS
from civicgrid.geo.schemas import LocateOut, RegionHitOut, RegionOut
from civicgrid.uploads import saved_upload

router = APIRouter(prefix="/api/v1/geo", tags=["geo"])

GEOJSON = "application/geo+json"
GRID_SUFFIXES = frozenset({".geojson", ".json", ".zip"})
MAX_GRID_FILE_BYTES = 512 * 1024 * 1024


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


@router.get("/regions", response_model=list[RegionHitOut])
def get_regions(
    *,
    db: DbSession,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=region_search.MAX_QUERY * 2)] = "",
    deepest: Level = Level.GRID,
    limit: Annotated[int, Query(ge=1, le=region_search.MAX_HITS)] = 10,
    codes: Annotated[str, Query(max_length=region_search.MAX_CODES * 16)] = "",
) -> list[RegionHitOut]:
    """The region picker's search box: regions of the caller's area whose name holds `q`;
    or, given `codes` (comma-separated), the names of those codes, for a page's tables."""
    if codes:
        found = region_search.named_regions(db, actor, codes=codes)
    else:
        found = region_search.search_regions(db, actor, text=q, deepest=deepest, limit=limit)
    return [
        RegionHitOut(code=hit.code, name=hit.name, level=hit.level, path=hit.path) for hit in found
    ]


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


class GridImportOut(BaseModel):
    """A grid import's outcome: counts, and the report's lines in the reader's language."""

    ok: bool
    dry_run: bool
    read: int
    imported: int
    communities: int
    lines: list[str]


@router.post("/grids/import", response_model=GridImportOut)
def post_grid_import(
    *,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    file: Annotated[UploadFile, File()],
    crs: Annotated[Crs, Form()] = Crs.WGS84,
    dry_run: Annotated[bool, Form()] = False,
) -> GridImportOut:
    """Replace communities' grids from GeoJSON or a zipped Shapefile: all or nothing."""
    require_role(actor, GRID_IMPORTERS)
    with saved_upload(file, suffixes=GRID_SUFFIXES, max_bytes=MAX_GRID_FILE_BYTES) as path:
        report = import_grids(db, path=path, crs=crs.value, dry_run=dry_run)
        db.commit()
    return GridImportOut(
        ok=report.ok,
        dry_run=report.dry_run,
        read=report.read,
        imported=report.imported,
        communities=report.communities,
        lines=report.lines(locale),
    )
