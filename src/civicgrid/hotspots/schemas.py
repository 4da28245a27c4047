"""What the hotspot routes answer.

`GET /api/v1/analysis/hotspots` answers a GeoJSON FeatureCollection: one Polygon
feature per H3 hexagon (resolution 9) holding at least one of the caller's events, its
ring closed and in [lng, lat] order (WGS-84), with properties `cell` (the H3 index),
`events`, `z` (Gi*), `p` (two-sided), `q` (Benjamini–Hochberg) and `spot` ("hot", "cold"
or "none"); beside `features`, what was asked (`window_first`, `window_last`, `classes`,
`region_code`) and how it was judged (`ring`, `alpha`).

`GET /api/v1/analysis/hotspots/hours` answers `matrix`: 7 rows (Monday first, local
days) of 24 counts (local hours 0–23), with the weekday names in the caller's language.
"""

from datetime import date
from typing import Literal

import h3
from pydantic import BaseModel

from civicgrid.hotspots.service import HotspotView, HoursView, Scoped
from civicgrid.hotspots.statistics import ALPHA, RING, Hexagon
from civicgrid.i18n import translate


class AskedOut(BaseModel):
    window_first: date
    window_last: date
    classes: list[str]
    region_code: str

    @classmethod
    def fields_of(cls, asked: Scoped) -> dict[str, object]:
        return {
            "window_first": asked.window.first,
            "window_last": asked.window.last,
            "classes": list(asked.classes),
            "region_code": asked.region_code,
        }


class PolygonOut(BaseModel):
    type: Literal["Polygon"] = "Polygon"
    coordinates: list[list[tuple[float, float]]]


class HexagonProperties(BaseModel):
    cell: str
    events: int
    z: float
    p: float
    q: float
    spot: Literal["hot", "cold", "none"]


class HexagonOut(BaseModel):
    type: Literal["Feature"] = "Feature"
    geometry: PolygonOut
    properties: HexagonProperties

    @classmethod
    def of(cls, hexagon: Hexagon) -> "HexagonOut":
        ring = [(round(lng, 7), round(lat, 7)) for lat, lng in h3.cell_to_boundary(hexagon.cell)]
        return cls(
            geometry=PolygonOut(coordinates=[[*ring, ring[0]]]),
            properties=HexagonProperties(
                cell=hexagon.cell,
                events=hexagon.events,
                z=round(hexagon.z, 4),
                p=hexagon.p,
                q=hexagon.q,
                spot=hexagon.spot,
            ),
        )


class HotspotsOut(AskedOut):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    ring: int
    alpha: float
    features: list[HexagonOut]

    @classmethod
    def of(cls, view: HotspotView) -> "HotspotsOut":
        return cls(
            **cls.fields_of(view.asked),
            ring=RING,
            alpha=ALPHA,
            features=[HexagonOut.of(hexagon) for hexagon in view.hexagons],
        )


class HoursOut(AskedOut):
    days: list[str]
    matrix: list[list[int]]
    total: int

    @classmethod
    def of(cls, view: HoursView, locale: str) -> "HoursOut":
        return cls(
            **cls.fields_of(view.asked),
            days=[translate(f"hotspots.day.{day}", locale) for day in range(7)],
            matrix=view.matrix,
            total=sum(map(sum, view.matrix)),
        )
