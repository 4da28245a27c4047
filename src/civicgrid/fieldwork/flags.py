"""Reasons to doubt a record: far from the worker's grid, a photo used before, impossible travel.

A flag never refuses a record: a worker at the edge of the grid or with a
poor GPS fix keeps their work, and a person reviews the flag. Flagged
records are left out of the month's score.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import User
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.fieldwork.models import Flag, FlagKind, Record, RecordPhoto
from civicgrid.fieldwork.roles import READ_ROLES
from civicgrid.geo.distance import great_circle_m
from civicgrid.geo.models import Region
from civicgrid.timeutil import as_utc

# A check-in this far outside the worker's area is flagged: beyond a phone's GPS error
# in town (tens of metres) and a worker standing across the street from the grid's edge.
FAR_FROM_GRID_M = 200.0
# Faster than this between two records is not travel on foot, bicycle or by bus in town.
MAX_SPEED_KMH = 120.0
MIN_TRAVEL_KM = 1.0
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class FlagView:
    flag: Flag
    record: Record
    worker: str


def area_of(db: Session, region_code: str) -> BaseGeometry | None:
    """The worker's grid (or whatever region their scope is), as stored in WGS-84."""
    wkb = db.scalar(select(Region.geometry).where(Region.code == region_code))
    return None if wkb is None else shapely.from_wkb(wkb)


def distance_m(area: BaseGeometry, lng: float, lat: float) -> float:
    """Metres from the point to the area, 0 inside it.

    Degrees are scaled to metres around the point (an equirectangular view):
    within a few kilometres the error is far below a phone's GPS error.
    """
    scale = np.array([METRES_PER_DEGREE * math.cos(math.radians(lat)), METRES_PER_DEGREE])

    def to_metres(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        return (coords - np.array([lng, lat])) * scale

    return float(shapely.transform(area, to_metres).distance(Point(0.0, 0.0)))


def flag_record(db: Session, record: Record, photo_hashes: Sequence[str]) -> list[Flag]:
    """Every flag the new record earns, added to the caller's transaction."""
    found = [
        *_far_from_grid(record),
        *_photo_reused(db, record, photo_hashes),
        *_impossible_travel(db, record),
    ]
    db.add_all(found)
    db.flush()
    return found


def _far_from_grid(record: Record) -> list[Flag]:
    if record.distance_m is None or record.distance_m <= FAR_FROM_GRID_M:
        return []
    return [_flag(record, FlagKind.FAR_FROM_GRID, distance=record.distance_m)]


def _photo_reused(db: Session, record: Record, photo_hashes: Sequence[str]) -> list[Flag]:
    if not photo_hashes:
        return []
    earlier = db.scalar(
        select(RecordPhoto.record_id)
        .where(RecordPhoto.sha256.in_(photo_hashes), RecordPhoto.record_id != record.id)
        .order_by(RecordPhoto.record_id)
        .limit(1)
    )
    return [] if earlier is None else [_flag(record, FlagKind.PHOTO_REUSED, other=earlier)]


def _impossible_travel(db: Session, record: Record) -> list[Flag]:
    """Against the worker's record just before this one in time, both carrying a point."""
    if record.lng is None or record.lat is None:
        return []
    before = db.scalar(
        select(Record)
        .where(
            Record.worker_id == record.worker_id,
            Record.id != record.id,
            Record.lng.is_not(None),
            Record.occurred_at <= record.occurred_at,
        )
        .order_by(Record.occurred_at.desc(), Record.id.desc())
        .limit(1)
    )
    if before is None or before.lng is None or before.lat is None:
        return []
    km = great_circle_m(before.lng, before.lat, record.lng, record.lat) / 1000
    hours = _hours_between(before.occurred_at, record.occurred_at)
    if km < MIN_TRAVEL_KM or (hours > 0 and km / hours <= MAX_SPEED_KMH):
        return []
    return [_flag(record, FlagKind.IMPOSSIBLE_TRAVEL, distance=km * 1000, other=before.id)]


def _hours_between(earlier: datetime, later: datetime) -> float:
    return (as_utc(later) - as_utc(earlier)).total_seconds() / 3600


def _flag(
    record: Record, kind: FlagKind, *, distance: float | None = None, other: int | None = None
) -> Flag:
    return Flag(
        record_id=record.id,
        kind=kind.value,
        distance_m=None if distance is None else round(distance, 1),
        other_record_id=other,
        region_code=record.region_code,
    )


def list_flags(db: Session, actor: Actor, *, limit: int = 200) -> list[FlagView]:
    """The newest flags inside the actor's area, with the record and its worker."""
    auth_service.require_role(actor, READ_ROLES)
    rows = db.execute(
        select(Flag, Record, User.username)
        .join(Record, Record.id == Flag.record_id)
        .join(User, User.id == Record.worker_id)
        .where(in_scope(actor, Flag.region_code))
        .order_by(Flag.id.desc())
        .limit(limit)
    )
    return [FlagView(flag, record, worker) for flag, record, worker in rows]
