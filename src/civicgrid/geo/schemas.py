"""What the geo API takes and returns."""

from pydantic import BaseModel

from civicgrid.divisions import Level
from civicgrid.geo.models import Region
from civicgrid.geo.service import Placement


class RegionRef(BaseModel):
    code: str
    name: str
    level: str
    generated: bool

    @classmethod
    def of(cls, region: Region) -> "RegionRef":
        return cls(
            code=region.code, name=region.name, level=region.level, generated=region.generated
        )


class RegionHitOut(BaseModel):
    """A region found by name, with the district, street and community names above it."""

    code: str
    name: str
    level: str
    path: list[str]


class RegionOut(RegionRef):
    parent_code: str | None
    bbox: list[float] | None
    center: list[float] | None
    children: list[RegionRef]

    @classmethod
    def with_children(cls, region: Region, children: list[Region]) -> "RegionOut":
        bbox = None
        if region.min_lng is not None:
            bbox = [region.min_lng, region.min_lat, region.max_lng, region.max_lat]
        center = None
        if region.center_lng is not None:
            center = [region.center_lng, region.center_lat]
        return cls(
            **RegionRef.of(region).model_dump(),
            parent_code=region.parent_code,
            bbox=bbox,
            center=center,
            children=[RegionRef.of(child) for child in children],
        )


class LocateOut(BaseModel):
    unlocated: bool
    wgs84: list[float]
    grid: RegionRef | None = None
    community: RegionRef | None = None
    street: RegionRef | None = None
    district: RegionRef | None = None
    city: RegionRef | None = None

    @classmethod
    def of(cls, placement: Placement) -> "LocateOut":
        refs = {level.value: RegionRef.of(region) for level, region in placement.regions.items()}
        refs.pop(Level.PROVINCE.value, None)
        return cls(
            unlocated=not placement.located,
            wgs84=[round(placement.lng, 7), round(placement.lat, 7)],
            **refs,
        )
