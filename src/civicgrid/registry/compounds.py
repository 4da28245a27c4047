"""Compounds (小区) as the standard address defines them, and which compound a point is in.

A compound is a house-number node (门牌, usually a 小区's gate) with the buildings below
it. Its extent is the box around the house number's point and its buildings' points,
widened by `MARGIN_METRES` so a case reported at a building's edge or in the lane beside
it still counts. A point inside several extents belongs to the compound whose points'
centre is nearest. A compound with no point at all has no extent: no event can be
attributed to it, so the safe-place list calls it unlocated rather than safe.

This is how the archive attributes an event to a compound without keeping its point:
the archiver asks `CompoundIndex.locate` while it still holds the case's coordinates and
stores only the compound's id.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import within
from civicgrid.registry.models import Address, AddressLevel

MARGIN_METRES = 30.0
_METRES_PER_DEGREE = 111_320.0
_BUCKET_DEGREES = 0.01


@dataclass(frozen=True)
class Compound:
    id: int
    name: str
    full_text: str
    region_code: str
    # (min_lng, min_lat, max_lng, max_lat) with the margin; None without any point.
    extent: tuple[float, float, float, float] | None
    centre: tuple[float, float] | None


def compounds(db: Session, *, prefix: str = "") -> list[Compound]:
    """Every house-number node whose region starts with `prefix`, with its extent."""
    numbers = list(
        db.execute(
            select(
                Address.id,
                Address.name,
                Address.full_text,
                Address.region_code,
                Address.lng,
                Address.lat,
            )
            .where(Address.level == AddressLevel.HOUSE_NUMBER, within(Address.region_code, prefix))
            .order_by(Address.id)
        )
    )
    points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for row in numbers:
        if row.lng is not None and row.lat is not None:
            points[row.id].append((row.lng, row.lat))
    ids = [row.id for row in numbers]
    for start in range(0, len(ids), 1000):
        buildings = select(Address.parent_id, Address.lng, Address.lat).where(
            Address.level == AddressLevel.BUILDING,
            Address.parent_id.in_(ids[start : start + 1000]),
            Address.lng.is_not(None),
            Address.lat.is_not(None),
        )
        for parent_id, lng, lat in db.execute(buildings):
            if parent_id is not None and lng is not None and lat is not None:
                points[parent_id].append((lng, lat))
    return [
        Compound(row.id, row.name, row.full_text, row.region_code, *_extent(points[row.id]))
        for row in numbers
    ]


def _extent(
    points: list[tuple[float, float]],
) -> tuple[tuple[float, float, float, float] | None, tuple[float, float] | None]:
    if not points:
        return None, None
    lngs = [lng for lng, _ in points]
    lats = [lat for _, lat in points]
    centre = (sum(lngs) / len(lngs), sum(lats) / len(lats))
    lat_margin = MARGIN_METRES / _METRES_PER_DEGREE
    lng_margin = lat_margin / max(math.cos(math.radians(centre[1])), 0.01)
    box = (
        min(lngs) - lng_margin,
        min(lats) - lat_margin,
        max(lngs) + lng_margin,
        max(lats) + lat_margin,
    )
    return box, centre


class CompoundIndex:
    """Point → compound over a bucket grid of 0.01° (a few hundred compounds per bucket at most)."""

    def __init__(self, found: Iterable[Compound]) -> None:
        self._buckets: dict[tuple[int, int], list[Compound]] = defaultdict(list)
        for compound in found:
            if compound.extent is None:
                continue
            low_lng, low_lat, high_lng, high_lat = compound.extent
            for x in range(_bucket(low_lng), _bucket(high_lng) + 1):
                for y in range(_bucket(low_lat), _bucket(high_lat) + 1):
                    self._buckets[(x, y)].append(compound)

    @classmethod
    def of(cls, db: Session) -> "CompoundIndex":
        return cls(compounds(db))

    def locate(self, lng: float | None, lat: float | None) -> int | None:
        """The id of the compound the point is in, or None (no point, or in none)."""
        if lng is None or lat is None or not (math.isfinite(lng) and math.isfinite(lat)):
            return None
        inside = [
            compound
            for compound in self._buckets.get((_bucket(lng), _bucket(lat)), [])
            if compound.extent is not None and _contains(compound.extent, lng, lat)
        ]
        if not inside:
            return None
        return min(inside, key=lambda compound: _distance(compound.centre, lng, lat)).id


def _bucket(value: float) -> int:
    return math.floor(value / _BUCKET_DEGREES)


def _contains(box: tuple[float, float, float, float], lng: float, lat: float) -> bool:
    return box[0] <= lng <= box[2] and box[1] <= lat <= box[3]


def _distance(centre: tuple[float, float] | None, lng: float, lat: float) -> float:
    if centre is None:
        return math.inf
    return math.hypot((centre[0] - lng) * math.cos(math.radians(lat)), centre[1] - lat)
