"""Regions: storing them, reading them inside a jurisdiction, and placing points."""

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope, is_ancestor_of_scope, may_see, within
from civicgrid.db import forget, transaction_memo
from civicgrid.divisions import (
    LEVEL_ORDER,
    Level,
    normalise_code,
    parent_code,
    significant_prefix,
)
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.geo import crs as crs_module
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
GEO_REVISION = "geo.latest_revision"


_BATCH = 5000

# Columns a record always sets. Geometry columns are only written when the record
# carries a geometry, so re-importing codes without boundaries keeps the stored
# shapes, as `save_regions` (a merge of the attributes that are set) does.
_PLAIN = ("name", "level", "parent_code", "generated", "source", "updated_at")
_SHAPE = (
    "geometry",
    "display_geojson",
    "min_lng",
    "min_lat",
    "max_lng",
    "max_lat",
    "center_lng",
    "center_lat",
)


def save_regions(db: Session, records: Sequence[RegionRecord], *, kind: str, summary: str) -> int:
    """Insert or replace regions, parents first, and log one revision.

    Batched `INSERT … ON CONFLICT (code) DO UPDATE` with geometry columns derived
    in vectorised Shapely calls: a reference city has 48,000 grids and the national
    codes 45,000 rows. The caller commits, so an import stores all or nothing.
    """
    now = utcnow()
    db.flush()
    # Level by level, so that every parent row exists before the statement that
    # refers to it runs (foreign keys are checked per statement).
    for level in LEVEL_ORDER:
        at_level = [record for record in records if record.level is level]
        for shaped in (False, True):
            rows = _rows([r for r in at_level if _has_shape(r) is shaped], now, shaped=shaped)
            for start in range(0, len(rows), _BATCH):
                db.execute(_statement(db, shaped=shaped), rows[start : start + _BATCH])
    _expire_loaded_regions(db)
    db.add(GeoRevision(kind=kind, summary=summary, created_at=now))
    db.flush()
    forget(db, GEO_REVISION)
    return len(records)


def _has_shape(record: RegionRecord) -> bool:
    return record.geometry is not None and not record.geometry.is_empty


def _rows(records: Sequence[RegionRecord], now: datetime, *, shaped: bool) -> list[dict[str, Any]]:
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "level": r.level.value,
            "parent_code": r.parent_code,
            "generated": r.generated,
            "source": r.source,
            "updated_at": now,
        }
        for r in records
    ]
    if shaped and records:
        for row, shape in zip(rows, _shape_columns(records), strict=True):
            row.update(shape)
    return rows


def _shape_columns(records: Sequence[RegionRecord]) -> list[dict[str, Any]]:
    """The stored forms of each geometry: WKB, a simplified copy for display, box, centre."""
    geometries = np.array([r.geometry for r in records], dtype=object)
    tolerances = np.array([DISPLAY_TOLERANCE[r.level] for r in records])
    simplified = shapely.simplify(geometries, tolerances, preserve_topology=True)
    display = shapely.to_geojson(shapely.set_precision(simplified, 1e-6))
    points = shapely.point_on_surface(geometries)
    centres = np.round(shapely.get_coordinates(points), 7)
    bounds = shapely.bounds(geometries)
    wkb = shapely.to_wkb(geometries)
    return [
        {
            "geometry": wkb[i],
            "display_geojson": display[i],
            "min_lng": float(bounds[i, 0]),
            "min_lat": float(bounds[i, 1]),
            "max_lng": float(bounds[i, 2]),
            "max_lat": float(bounds[i, 3]),
            "center_lng": float(centres[i, 0]),
            "center_lat": float(centres[i, 1]),
        }
        for i in range(len(records))
    ]


def _statement(db: Session, *, shaped: bool) -> Any:
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(Region.__table__)
    columns = _PLAIN + _SHAPE if shaped else _PLAIN
    return insert.on_conflict_do_update(
        index_elements=["code"], set_={name: insert.excluded[name] for name in columns}
    )


def _expire_loaded_regions(db: Session) -> None:
    """Regions the session already holds were changed behind its back; reload them on use."""
    for loaded in list(db.identity_map.values()):
        if isinstance(loaded, Region):
            db.expire(loaded)


def replace_grids(db: Session, community_codes: Iterable[str], *, keep: Iterable[str]) -> None:
    """Drop the grids of these communities that a new import no longer has.

    Grids the import keeps are updated in place by `save_regions`, so rows
    that point at them (users, cases) stay valid.
    """
    codes, kept = list(community_codes), set(keep)
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        stale = [
            code
            for code in db.scalars(
                select(Region.code).where(
                    Region.level == Level.GRID.value, Region.parent_code.in_(chunk)
                )
            )
            if code not in kept
        ]
        if stale:
            _delete_unreferenced(db, stale)


def _delete_unreferenced(db: Session, codes: list[str]) -> None:
    """A grid that accounts or cases still name cannot vanish; say which, store nothing."""
    try:
        with db.begin_nested():
            db.execute(delete(Region).where(Region.code.in_(codes)))
    except IntegrityError:
        raise Conflict("grids_in_use", codes=", ".join(codes[:10])) from None


def latest_revision(db: Session) -> int:
    """The newest geo revision, asked once per transaction: the locator and the names
    routing gives each report both check it (`save_regions` forgets it)."""
    return transaction_memo(
        db, GEO_REVISION, lambda: db.scalar(select(func.max(GeoRevision.id))) or 0
    )


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
            within(Region.code, significant_prefix(region.code)),
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


def grid_extent(db: Session) -> list[float] | None:
    """The box around every grid [min lng, min lat, max lng, max lat]: where a public map opens.

    It names no place, only the served area, so it needs no jurisdiction.
    """
    row = db.execute(
        select(
            func.min(Region.min_lng),
            func.min(Region.min_lat),
            func.max(Region.max_lng),
            func.max(Region.max_lat),
        ).where(Region.level == Level.GRID.value)
    ).one()
    return None if row[0] is None else [float(value) for value in row]
