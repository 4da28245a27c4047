"""Regions: storing them, reading them inside a jurisdiction, and placing points."""

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope, is_ancestor_of_scope, may_see
from civicgrid.errors import Invalid, NotFound
from civicgrid.geo import crs as crs_module
from civicgrid.geo.codes import (
    LEVEL_ORDER,
    Level,
    normalise_code,
    parent_code,
    significant_prefix,
)
from civicgrid.geo.locator import Locator
from civicgrid.geo.models import GeoRevision, Region
from civicgrid.geo.records import RegionRecord
from civicgrid.timeutil import utcnow

# Display tolerance per level in degrees (≈ metres × 1e-5): coarse shapes for big regions.
DISPLAY_TOLERANCE = {
    Level.PROVINCE: 0.01,
    Level.CITY: 0.005,
    Level.DISTRICT: 0.002,
    Level.STREET: 0.0008,
    Level.COMMUNITY: 0.0003,
    Level.GRID: 0.0001,
}
MAX_FEATURES = 60000


def save_regions(db: Session, records: Sequence[RegionRecord], *, kind: str, summary: str) -> int:
    """Insert or replace regions (parents first) and log one revision.

    Bulk statements, not one ORM merge per row: a reference city has 48,000
    grids. The caller commits, so an import stores all of its regions or none.
    """
    now = utcnow()
    rows = [_region_values(record, now) for record in records]
    existing = _existing_codes(db, [row["code"] for row in rows])
    new_rows = [row for row in rows if row["code"] not in existing]
    old_rows = [row for row in rows if row["code"] in existing]
    for chunk in _chunks(new_rows):
        db.execute(insert(Region), chunk)
    for chunk in _chunks(old_rows):
        db.execute(update(Region), chunk)
    db.add(GeoRevision(kind=kind, summary=summary, created_at=now))
    db.flush()
    return len(rows)


def _chunks(rows: list[dict[str, Any]], size: int = 2000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _existing_codes(db: Session, codes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(codes), 2000):
        chunk = codes[start : start + 2000]
        found.update(db.scalars(select(Region.code).where(Region.code.in_(chunk))))
    return found


def _region_values(record: RegionRecord, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": record.code,
        "name": record.name,
        "level": record.level.value,
        "parent_code": record.parent_code,
        "generated": record.generated,
        "source": record.source,
        "updated_at": now,
        **_geometry_values(record.geometry, record.level),
    }
    return values


def _geometry_values(geometry: BaseGeometry | None, level: Level) -> dict[str, Any]:
    if geometry is None or geometry.is_empty:
        return dict.fromkeys(GEOMETRY_COLUMNS)
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    point = geometry.representative_point()
    simplified = shapely.simplify(geometry, DISPLAY_TOLERANCE[level], preserve_topology=True)
    return {
        "geometry": shapely.to_wkb(geometry),
        "min_lng": min_lng,
        "min_lat": min_lat,
        "max_lng": max_lng,
        "max_lat": max_lat,
        "center_lng": round(point.x, 7),
        "center_lat": round(point.y, 7),
        "display_geojson": shapely.to_geojson(shapely.set_precision(simplified, 1e-6)),
    }


GEOMETRY_COLUMNS = (
    "geometry",
    "min_lng",
    "min_lat",
    "max_lng",
    "max_lat",
    "center_lng",
    "center_lat",
    "display_geojson",
)


def replace_grids(db: Session, community_codes: Iterable[str]) -> None:
    """Drop the grids of these communities before an import lays new ones."""
    codes = list(community_codes)
    if codes:
        db.execute(
            delete(Region).where(Region.level == Level.GRID.value, Region.parent_code.in_(codes))
        )


def latest_revision(db: Session) -> int:
    return db.scalar(select(func.max(GeoRevision.id))) or 0


def grid_geometries(db: Session) -> list[tuple[str, BaseGeometry]]:
    """Every grid's polygon: what the locator is built from."""
    rows = db.execute(
        select(Region.code, Region.geometry).where(
            Region.level == Level.GRID.value, Region.geometry.is_not(None)
        )
    )
    return [(code, shapely.from_wkb(wkb)) for code, wkb in rows]


def visible_region(db: Session, actor: Actor, code: str) -> Region:
    """A region the actor may open: inside their scope, or one of its ancestors.

    Anything else is reported as not found, so a stranger learns nothing.
    """
    normalised = normalise_code(code)
    region = db.get(Region, normalised)
    if region is None or not (
        may_see(actor, normalised) or is_ancestor_of_scope(actor, normalised)
    ):
        raise NotFound("region_not_found", code=code)
    return region


def visible_children(db: Session, actor: Actor, region: Region) -> list[Region]:
    query = (
        select(Region)
        .where(Region.parent_code == region.code, in_scope(actor, Region.code))
        .order_by(Region.code)
    )
    return list(db.scalars(query))


@dataclass(frozen=True)
class BBox:
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float


def parse_bbox(raw: str | None) -> BBox | None:
    """`min_lng,min_lat,max_lng,max_lat` in WGS-84, as map clients send a viewport."""
    if raw is None or raw == "":
        return None
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        raise Invalid("invalid_bbox", bbox=raw) from None
    if len(values) != 4 or not all(abs(v) <= 180 for v in values):
        raise Invalid("invalid_bbox", bbox=raw)
    box = BBox(*values)
    if box.min_lng > box.max_lng or box.min_lat > box.max_lat or abs(box.max_lat) > 90:
        raise Invalid("invalid_bbox", bbox=raw)
    return box


def features_geojson(
    db: Session, actor: Actor, code: str, *, level: Level, bbox: BBox | None = None
) -> str:
    """The simplified shapes of every `level` region below `code` the actor may see.

    Assembled as text from the stored display GeoJSON: 48,000 grids would take
    seconds to round-trip through Python objects.
    """
    region = visible_region(db, actor, code)
    if LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(Level(region.level)):
        raise Invalid("level_not_below", level=level.value, code=region.code)
    query = _features_query(actor, region, level, bbox)
    rows = db.execute(query.limit(MAX_FEATURES)).all()
    features = ",".join(_feature_text(*row) for row in rows)
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


def _features_query(actor: Actor, region: Region, level: Level, bbox: BBox | None) -> Any:
    query = (
        select(Region.code, Region.name, Region.level, Region.parent_code, Region.display_geojson)
        .where(
            Region.level == level.value,
            Region.code.startswith(significant_prefix(region.code), autoescape=True),
            in_scope(actor, Region.code),
            Region.display_geojson.is_not(None),
        )
        .order_by(Region.code)
    )
    if bbox is not None:
        query = query.where(
            Region.max_lng >= bbox.min_lng,
            Region.min_lng <= bbox.max_lng,
            Region.max_lat >= bbox.min_lat,
            Region.min_lat <= bbox.max_lat,
        )
    return query


def _feature_text(code: str, name: str, level: str, parent: str | None, geometry: str) -> str:
    properties = json.dumps(
        {"code": code, "name": name, "level": level, "parent_code": parent}, ensure_ascii=False
    )
    return f'{{"type":"Feature","id":"{code}","properties":{properties},"geometry":{geometry}}}'


def ancestry(db: Session, code: str) -> dict[Level, Region]:
    """The region and every region above it, by level."""
    codes = []
    current: str | None = code
    while current is not None:
        codes.append(current)
        current = parent_code(current)
    rows = db.scalars(select(Region).where(Region.code.in_(codes)))
    return {Level(row.level): row for row in rows}


def to_wgs84(lng: float, lat: float, crs: str) -> tuple[float, float]:
    converted = crs_module.to_wgs84(lng, lat, crs_module.Crs(crs))
    return float(converted[0]), float(converted[1])


class GridIndex:
    """The process's point→grid locator, rebuilt when the region tree changes.

    Each call compares the newest geo revision with the one the index was built
    from (one indexed MAX query), so an import in any process refreshes all.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision = -1
        self._locator = Locator.empty()

    def current(self, db: Session) -> Locator:
        revision = latest_revision(db)
        if revision != self._revision:
            with self._lock:
                if revision != self._revision:
                    self._locator = Locator.build(grid_geometries(db))
                    self._revision = revision
        return self._locator


@dataclass(frozen=True)
class Placement:
    """Where a point falls: its grid and the regions above, or nowhere."""

    lng: float
    lat: float
    regions: dict[Level, Region]

    @property
    def located(self) -> bool:
        return Level.GRID in self.regions


def locate(db: Session, index: GridIndex, *, lng: float, lat: float, crs: str) -> Placement:
    """Place a point given in any supported CRS; a point in no grid is not an error."""
    wgs_lng, wgs_lat = to_wgs84(lng, lat, crs)
    grid_code = index.current(db).locate(wgs_lng, wgs_lat)
    regions = ancestry(db, grid_code) if grid_code is not None else {}
    return Placement(lng=wgs_lng, lat=wgs_lat, regions=regions)
