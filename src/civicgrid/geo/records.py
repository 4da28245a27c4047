"""Regions as plain values, before they are stored: what importers and the demo produce."""

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from civicgrid.divisions import Level


@dataclass(frozen=True)
class RegionRecord:
    """One region to store. Geometry is WGS-84; `generated` marks made-up data."""

    code: str
    name: str
    level: Level
    parent_code: str | None
    geometry: BaseGeometry | None = None
    generated: bool = False
    source: str = ""
