"""Importing the region tree and the grids, each as one all-or-nothing operation.

Regions come from the national statistical division codes (the NBS tables as CSV)
and, where available, DataV district boundaries; the two sources disagree in real
life (a county renamed or upgraded keeps its old code in one of them), so every
mismatch is stored as found and listed in the report rather than dropped.

Grids come from an administrator's GeoJSON or Shapefile. Every problem in the file
is collected into the report with the codes it concerns, and the file is stored only
when there is none: a half-imported grid layer would leave points located in grids
that are about to change.
"""

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.divisions import Level, level_of, normalise_code, parent_code, significant_prefix
from civicgrid.errors import Invalid
from civicgrid.geo import crs as crs_module
from civicgrid.geo.grid_files import (
    GridFeature,
    GridFileError,
    GridProblem,
    read_grid_file,
)
from civicgrid.geo.models import Region
from civicgrid.geo.records import RegionRecord
from civicgrid.geo.service import replace_grids, save_regions
from civicgrid.i18n import translate

Geometries = NDArray[np.object_]

# Square metres per square degree at the equator on the mean Earth sphere; shrinks
# with cos(latitude). Close enough for tolerances of a few square metres.
_M2_PER_DEG2 = (6_371_008.8 * np.pi / 180) ** 2

# Grids drawn along a shared edge meet exactly or leave slivers of rounding; an
# overlap only counts above this.
OVERLAP_TOLERANCE_M2 = 1.0
# A grid may stick out of its community by digitising slack: an error once the part
# outside exceeds this share of the grid or this area, whichever is smaller.
OUTSIDE_TOLERANCE_SHARE = 0.005
OUTSIDE_TOLERANCE_M2 = 1000.0
# A community is reported as not fully covered above this uncovered share.
UNCOVERED_TOLERANCE_SHARE = 0.005

_IN_CHUNK = 500
# Codes named in the one line that sums up a long list.
_EXAMPLES = 5


@dataclass(frozen=True)
class NamedRegion:
    code: str
    name: str


@dataclass(frozen=True)
class NameMismatch:
    code: str
    code_name: str
    boundary_name: str


@dataclass(frozen=True)
class RegionImportReport:
    """What an import of division codes and boundaries stored, and where the sources disagree."""

    stored: Mapping[Level, int]
    boundaries: int
    outlined_cities: tuple[str, ...] = ()
    boundary_without_code: tuple[NamedRegion, ...] = ()
    county_without_boundary: tuple[NamedRegion, ...] = ()
    name_mismatches: tuple[NameMismatch, ...] = ()
    irregular_codes: tuple[NamedRegion, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.stored.values())

    def lines(self, locale: str) -> list[str]:
        """The report as the command line prints it."""
        return [
            self._summary(locale),
            *(_region_line("boundary_without_code", r, locale) for r in self.boundary_without_code),
            *(
                _region_line("county_without_boundary", r, locale)
                for r in self.county_without_boundary
            ),
            *(_region_line("name_mismatch", m, locale) for m in self.name_mismatches),
            *self._irregular_line(locale),
        ]

    def _summary(self, locale: str) -> str:
        counts = {level.value: self.stored.get(level, 0) for level in Level}
        return translate(
            "import.regions.summary",
            locale,
            total=self.total,
            boundaries=self.boundaries,
            outlined=len(self.outlined_cities),
            **counts,
        )

    def _irregular_line(self, locale: str) -> list[str]:
        """One line for them all: the codes of every township of 东莞 would drown the rest."""
        if not self.irregular_codes:
            return []
        examples = ", ".join(f"{r.code} {r.name}" for r in self.irregular_codes[:_EXAMPLES])
        count = len(self.irregular_codes)
        return [translate("import.regions.irregular_codes", locale, count=count, examples=examples)]


def _region_line(kind: str, found: NamedRegion | NameMismatch, locale: str) -> str:
    return translate(f"import.regions.{kind}", locale, **vars(found))


@dataclass(frozen=True)
class _CodeTable:
    """One CSV of the division codes: its level, code width and parent column."""

    file: str
    level: Level
    digits: int
    parent_column: str | None
    parent_digits: int


_CODE_TABLES = (
    _CodeTable("provinces.csv", Level.PROVINCE, 2, None, 0),
    _CodeTable("cities.csv", Level.CITY, 4, "provinceCode", 2),
    _CodeTable("counties.csv", Level.DISTRICT, 6, "cityCode", 4),
    _CodeTable("townships.csv", Level.STREET, 9, "areaCode", 6),
)
_CODES_SOURCE = "nbs"
_BOUNDARY_SOURCE = "datav"


@dataclass(frozen=True)
class _Boundary:
    """One DataV feature: a region's outline, already in WGS-84."""

    file: str
    code: str
    name: str
    parent: str
    geometry: BaseGeometry


def import_regions(
    db: Session, *, codes_dir: Path, boundaries_dir: Path | None, prefix: str = ""
) -> RegionImportReport:
    """Store the division codes under `prefix` (and the regions above it) with their boundaries.

    Everything is read and checked before anything is written, so a broken file
    raises `Invalid("region_file_invalid")` with the database untouched; the
    caller commits.
    """
    keep = _prefix_filter(prefix)
    records = {r.code: r for r in _read_code_tables(codes_dir) if keep(r.code)}
    boundaries = [b for b in _read_boundaries(boundaries_dir) if keep(b.code)]
    report = _attach_boundaries(records, boundaries)
    save_regions(
        db, list(records.values()), kind="regions", summary=f"division codes {prefix or '*'}"
    )
    return report


def _prefix_filter(prefix: str) -> Callable[[str], bool]:
    """Codes inside the region `prefix` names, and the regions it lies in."""
    wanted = prefix.strip()
    if wanted and not wanted.isdigit():
        raise Invalid("invalid_region_code", code=prefix)
    return lambda code: code.startswith(wanted) or wanted.startswith(significant_prefix(code))


def _platform_code(raw: str) -> str:
    """The NBS tables cut codes to their significant digits; the platform pads them to 6."""
    return raw.ljust(6, "0") if len(raw) < 6 else raw


def _read_code_tables(codes_dir: Path) -> list[RegionRecord]:
    records: list[RegionRecord] = []
    for table in _CODE_TABLES:
        records.extend(_read_code_table(codes_dir / table.file, table))
    _check_parents(records)
    return records


def _read_code_table(path: Path, table: _CodeTable) -> list[RegionRecord]:
    records = []
    for line, row in _csv_rows(path, table):
        code, name = row["code"], row["name"]
        parent = row[table.parent_column] if table.parent_column else None
        if not _is_row(code, name, parent, table):
            raise Invalid("region_file_invalid", file=path.name, detail=f"line {line}: {row}")
        # Cities without counties (东莞, 中山, 儋州) repeat themselves as their only
        # county, under the same 6-digit code; the city row already stands for it.
        if table.level is Level.DISTRICT and code == _platform_code(code[:4]):
            continue
        records.append(
            RegionRecord(
                code=_platform_code(code),
                name=name,
                level=table.level,
                parent_code=_platform_code(parent) if parent else None,
                source=_CODES_SOURCE,
            )
        )
    return records


def _csv_rows(path: Path, table: _CodeTable) -> list[tuple[int, dict[str, str]]]:
    columns = ["code", "name"] + ([table.parent_column] if table.parent_column else [])
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not set(columns) <= set(reader.fieldnames):
                detail = f"columns {', '.join(columns)} expected"
                raise Invalid("region_file_invalid", file=path.name, detail=detail)
            return [
                (reader.line_num, {key: (row[key] or "").strip() for key in columns})
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise Invalid("region_file_invalid", file=path.name, detail=str(error)) from None


def _is_row(code: str, name: str, parent: str | None, table: _CodeTable) -> bool:
    parent_ok = parent is None or _is_code(parent, table.parent_digits)
    return _is_code(code, table.digits) and bool(name) and parent_ok


def _is_code(value: str, digits: int) -> bool:
    return len(value) == digits and value.isdigit()


def _check_parents(records: list[RegionRecord]) -> None:
    codes = {record.code for record in records}
    for record in records:
        if record.parent_code is not None and record.parent_code not in codes:
            table = next(t for t in _CODE_TABLES if t.level is record.level)
            detail = f"{record.code}: parent {record.parent_code} not found"
            raise Invalid("region_file_invalid", file=table.file, detail=detail)


def _read_boundaries(boundaries_dir: Path | None) -> list[_Boundary]:
    """Every feature of the `*_full.json` files, converted from GCJ-02 to WGS-84."""
    if boundaries_dir is None:
        return []
    if not boundaries_dir.is_dir():
        raise Invalid("region_file_invalid", file=str(boundaries_dir), detail="not a directory")
    found = [b for path in sorted(boundaries_dir.glob("*_full.json")) for b in _boundary_file(path)]
    # DataV publishes Gaode's GCJ-02 coordinates; the platform stores WGS-84.
    converted = _to_wgs84(np.array([b.geometry for b in found], dtype=object), crs_module.Crs.GCJ02)
    return [replace(b, geometry=g) for b, g in zip(found, converted, strict=True)]


def _boundary_file(path: Path) -> list[_Boundary]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        features = document["features"]
        return [_boundary(path.name, feature) for feature in features]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, GEOSException) as error:
        detail = f"{type(error).__name__}: {error}"
        raise Invalid("region_file_invalid", file=path.name, detail=detail) from None


def _boundary(file: str, feature: Mapping[str, Any]) -> _Boundary:
    properties = feature["properties"]
    code, parent = str(properties["adcode"]), str(properties["parent"]["adcode"])
    if not (_is_code(code, 6) and _is_code(parent, 6)):
        raise ValueError(f"adcode {code} / parent {parent} are not 6-digit codes")
    geometry = shape(feature["geometry"])
    if geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        raise ValueError(f"{code}: {geometry.geom_type} is not a polygon")
    if not geometry.is_valid:
        # Repair the occasional self-touching ring the way that keeps it a polygon.
        geometry = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    return _Boundary(file, code, str(properties["name"]).strip(), parent, geometry)


def _attach_boundaries(
    records: dict[str, RegionRecord], boundaries: Sequence[_Boundary]
) -> RegionImportReport:
    """Put each boundary on its region, in place, and report where the sources disagree."""
    without_code, mismatches = [], []
    for boundary in boundaries:
        record = records.get(boundary.code)
        if record is None:
            record = _region_from_boundary(boundary, records)
            without_code.append(NamedRegion(boundary.code, boundary.name))
        elif record.name != boundary.name:
            mismatches.append(NameMismatch(record.code, record.name, boundary.name))
        records[boundary.code] = replace(record, geometry=boundary.geometry)
    outlined = _outline_cities(records, boundaries)
    return RegionImportReport(
        stored=Counter(record.level for record in records.values()),
        boundaries=len(boundaries),
        outlined_cities=tuple(outlined),
        boundary_without_code=tuple(without_code),
        county_without_boundary=tuple(_counties_without_boundary(records, boundaries)),
        name_mismatches=tuple(mismatches),
        irregular_codes=tuple(_irregular_codes(records.values())),
    )


def _region_from_boundary(boundary: _Boundary, records: Mapping[str, RegionRecord]) -> RegionRecord:
    """A region only the boundaries know of, kept under its city so it can be seen and fixed."""
    candidates = (parent_code(boundary.code), boundary.parent)
    parent = next((code for code in candidates if code in records), None)
    if parent is None:
        detail = f"{boundary.code} {boundary.name}: parent {boundary.parent} not found"
        raise Invalid("region_file_invalid", file=boundary.file, detail=detail)
    return RegionRecord(
        code=boundary.code,
        name=boundary.name,
        level=level_of(boundary.code),
        parent_code=parent,
        source=_BOUNDARY_SOURCE,
    )


def _outline_cities(records: dict[str, RegionRecord], boundaries: Sequence[_Boundary]) -> list[str]:
    """Give each city that has district boundaries but none of its own their union."""
    parts: dict[str, list[BaseGeometry]] = defaultdict(list)
    for boundary in boundaries:
        parts[boundary.parent].append(boundary.geometry)
    outlined = []
    for code, geometries in sorted(parts.items()):
        city = records.get(code)
        if city is not None and city.level is Level.CITY and city.geometry is None:
            records[code] = replace(city, geometry=shapely.union_all(geometries))
            outlined.append(code)
    return outlined


def _counties_without_boundary(
    records: Mapping[str, RegionRecord], boundaries: Sequence[_Boundary]
) -> list[NamedRegion]:
    """Counties of a city a boundary file covers that the file leaves without a shape."""
    covered = {boundary.parent for boundary in boundaries}
    return [
        NamedRegion(record.code, record.name)
        for record in sorted(records.values(), key=lambda r: r.code)
        if record.level is Level.DISTRICT
        and record.parent_code in covered
        and record.geometry is None
    ]


def _irregular_codes(records: Iterable[RegionRecord]) -> list[NamedRegion]:
    """Real codes the platform's code rules refuse (a township of a city without counties)."""
    irregular = []
    for record in sorted(records, key=lambda r: r.code):
        try:
            normalise_code(record.code)
        except Invalid:
            irregular.append(NamedRegion(record.code, record.name))
    return irregular


def _to_wgs84(geometries: Geometries, crs: crs_module.Crs) -> Geometries:
    """Convert every vertex of many geometries in one vectorised call to `crs.to_wgs84`."""
    if crs is crs_module.Crs.WGS84 or len(geometries) == 0:
        return geometries

    def convert(points: NDArray[np.float64]) -> NDArray[np.float64]:
        lng, lat = crs_module.to_wgs84(points[:, 0], points[:, 1], crs)
        return np.column_stack([lng, lat])

    converted: Geometries = shapely.transform(geometries, convert)
    return converted


@dataclass(frozen=True)
class GridIssue:
    """One problem of a grid file and what it concerns.

    `codes` are grid codes, `#n` for the n-th feature when it has no code, or the
    file's name for a problem of the whole file.
    """

    problem: GridProblem
    codes: tuple[str, ...]
    detail: str = ""

    def line(self, locale: str) -> str:
        return translate(
            f"import.grids.{self.problem.value}",
            locale,
            codes=", ".join(self.codes),
            detail=self.detail,
        )


@dataclass(frozen=True)
class GridImportReport:
    """What a grid import read, stored or refused. `errors` empty means the file is good."""

    file: str
    dry_run: bool
    read: int
    imported: int = 0
    communities: int = 0
    errors: tuple[GridIssue, ...] = ()
    warnings: tuple[GridIssue, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_counts(self) -> Counter[GridProblem]:
        return Counter(issue.problem for issue in self.errors)

    def lines(self, locale: str, *, per_problem: int = 20) -> list[str]:
        """The report as the command line prints it, at most `per_problem` lines of each kind."""
        lines = [
            translate(
                "import.grids.summary",
                locale,
                file=self.file,
                read=self.read,
                imported=self.imported,
                errors=len(self.errors),
                warnings=len(self.warnings),
            ),
            translate(self._outcome(), locale, communities=self.communities),
        ]
        for issues in (self.errors, self.warnings):
            lines.extend(_issue_lines(issues, locale, per_problem))
        return lines

    def _outcome(self) -> str:
        if self.errors:
            return "import.grids.rejected"
        return "import.grids.checked" if self.dry_run else "import.grids.stored"


def _issue_lines(issues: Sequence[GridIssue], locale: str, per_problem: int) -> list[str]:
    by_problem: dict[GridProblem, list[GridIssue]] = defaultdict(list)
    for issue in issues:
        by_problem[issue.problem].append(issue)
    lines: list[str] = []
    for group in by_problem.values():
        lines.extend(issue.line(locale) for issue in group[:per_problem])
        if len(group) > per_problem:
            lines.append(translate("import.grids.more", locale, count=len(group) - per_problem))
    return lines


@dataclass(frozen=True)
class _Grid:
    """A feature whose geometry is a valid WGS-84 polygon, ready for the set-wide checks.

    `community` is None when the code is not a well-formed grid code.
    """

    label: str
    code: str
    name: str
    community: str | None
    geometry: BaseGeometry


@dataclass
class _Community:
    code: str
    geometry: BaseGeometry | None
    grids: list[_Grid] = field(default_factory=list)


def import_grids(
    db: Session, *, path: Path, crs: str = "wgs84", dry_run: bool = False
) -> GridImportReport:
    """Check a grid file and, when it has no error, replace its communities' grids with it.

    Never raises for a bad file: every problem goes into the report. The caller
    commits; nothing is written when the report has errors or on a dry run.
    """
    system = _coordinate_system(crs)
    try:
        features = read_grid_file(path)
    except GridFileError as error:
        issue = GridIssue(error.problem, (path.name,), error.detail)
        return GridImportReport(file=path.name, dry_run=dry_run, read=0, errors=(issue,))
    grids, errors = _readable_grids(features, system)
    errors += _code_and_name_checks(features)
    errors += _overlap_checks(grids)
    communities = _communities(db, {c for f in features if (c := _community_of(f.code))})
    errors += _community_checks(features, grids, communities)
    report = GridImportReport(
        file=path.name,
        dry_run=dry_run,
        read=len(features),
        errors=tuple(errors),
        warnings=tuple(_coverage_warnings(communities) if not errors else ()),
    )
    if errors or dry_run:
        return report
    _store_grids(db, grids, path.name)
    return replace(report, imported=len(grids), communities=len(communities))


def _coordinate_system(crs: str) -> crs_module.Crs:
    try:
        return crs_module.Crs(crs.strip().lower())
    except ValueError:
        choices = ", ".join(system.value for system in crs_module.Crs)
        raise Invalid("unknown_crs", crs=crs, choices=choices) from None


def _label(feature: GridFeature) -> str:
    return feature.code or f"#{feature.number}"


def _community_of(code: str) -> str | None:
    """The community a well-formed grid code extends, else None."""
    if len(code) != 15:
        return None
    try:
        normalise_code(code)
    except Invalid:
        return None
    return code[:12]


def _readable_grids(
    features: Sequence[GridFeature], crs: crs_module.Crs
) -> tuple[list[_Grid], list[GridIssue]]:
    """The features whose geometry is a valid polygon of degrees, converted to WGS-84."""
    errors = [
        GridIssue(f.problem, (_label(f),), f.detail) for f in features if f.problem is not None
    ]
    shaped = [f for f in features if f.geometry is not None]
    geometries = shapely.force_2d(np.array([f.geometry for f in shaped], dtype=object))
    misplaced = _coordinate_problems(geometries)
    errors += [
        GridIssue(problem, (_label(shaped[i]),), detail)
        for i, (problem, detail) in sorted(misplaced.items())
    ]
    in_range = [i for i in range(len(shaped)) if i not in misplaced]
    converted = _to_wgs84(geometries[in_range], crs)
    grids, invalid = _valid_grids([shaped[i] for i in in_range], converted)
    return grids, errors + invalid


def _valid_grids(
    features: Sequence[GridFeature], geometries: Geometries
) -> tuple[list[_Grid], list[GridIssue]]:
    """Valid polygons become grids; the others are reported with GEOS's reason."""
    grids, errors = [], []
    for feature, geometry, reason in zip(
        features, geometries, shapely.is_valid_reason(geometries), strict=True
    ):
        label = _label(feature)
        if reason == "Valid Geometry":
            community = _community_of(feature.code)
            grids.append(_Grid(label, feature.code, feature.name, community, geometry))
        else:
            errors.append(GridIssue(GridProblem.INVALID_GEOMETRY, (label,), reason))
    return grids, errors


def _coordinate_problems(geometries: Geometries) -> dict[int, tuple[GridProblem, str]]:
    """Geometries that are empty or have a vertex that is not longitude/latitude in degrees.

    A file in a projected system (metres) or with swapped axes fails here rather
    than as a grid far outside its community.
    """
    problems = {
        int(i): (GridProblem.MISSING_GEOMETRY, "")
        for i in np.flatnonzero(shapely.is_empty(geometries))
    }
    points, owners = shapely.get_coordinates(geometries, return_index=True)
    lng, lat = points[:, 0], points[:, 1]
    bad = ~(np.isfinite(lng) & np.isfinite(lat) & (np.abs(lng) <= 180) & (np.abs(lat) <= 90))
    for i in np.flatnonzero(bad):
        problems.setdefault(int(owners[i]), (GridProblem.BAD_COORDINATES, f"({lng[i]}, {lat[i]})"))
    return problems


def _code_and_name_checks(features: Sequence[GridFeature]) -> list[GridIssue]:
    errors = []
    for feature in features:
        if not feature.code:
            errors.append(GridIssue(GridProblem.MISSING_CODE, (_label(feature),)))
        elif _community_of(feature.code) is None:
            errors.append(GridIssue(GridProblem.BAD_CODE, (feature.code,)))
        if not feature.name:
            errors.append(GridIssue(GridProblem.MISSING_NAME, (_label(feature),)))
    repeats = Counter(feature.code for feature in features if feature.code)
    errors += [
        GridIssue(GridProblem.DUPLICATE_CODE, (code,), str(count))
        for code, count in sorted(repeats.items())
        if count > 1
    ]
    return errors


def _overlap_checks(grids: Sequence[_Grid]) -> list[GridIssue]:
    """Pairs of grids whose interiors share more than a sliver.

    The tree yields every pair of touching grids, which in a partition is every
    neighbour; the cheap interior test leaves only real overlaps to measure.
    """
    if len(grids) < 2:
        return []
    geometries = np.array([grid.geometry for grid in grids], dtype=object)
    first, second = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    pairs = first < second
    first, second = first[pairs], second[pairs]
    interior = shapely.relate_pattern(geometries[first], geometries[second], "T********")
    first, second = first[interior], second[interior]
    shared = shapely.intersection(geometries[first], geometries[second])
    areas = _square_metres(shared)
    return [
        GridIssue(GridProblem.OVERLAP, (grids[i].label, grids[j].label), f"{area:.0f}")
        for i, j, area in zip(first, second, areas, strict=True)
        if area > OVERLAP_TOLERANCE_M2
    ]


def _square_metres(geometries: Geometries) -> NDArray[np.float64]:
    """Areas in m², from degrees² scaled at each geometry's own latitude."""
    return shapely.area(geometries) * _m2_per_deg2(geometries)


def _m2_per_deg2(geometries: Geometries) -> NDArray[np.float64]:
    bounds = shapely.bounds(geometries).reshape(-1, 4)
    factors: NDArray[np.float64] = _M2_PER_DEG2 * np.cos(
        np.radians((bounds[:, 1] + bounds[:, 3]) / 2)
    )
    return factors


def _communities(db: Session, codes: set[str]) -> dict[str, _Community]:
    """The communities named by the file's grid codes that exist, with their polygons."""
    wanted = sorted(codes)
    found: dict[str, _Community] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        rows = db.execute(
            select(Region.code, Region.geometry).where(
                Region.level == Level.COMMUNITY.value,
                Region.code.in_(wanted[start : start + _IN_CHUNK]),
            )
        )
        for code, wkb in rows:
            found[code] = _Community(code, shapely.from_wkb(wkb) if wkb is not None else None)
    return found


def _community_checks(
    features: Sequence[GridFeature], grids: Sequence[_Grid], communities: dict[str, _Community]
) -> list[GridIssue]:
    """Grids whose community does not exist, and grids reaching out of their community."""
    errors = []
    for feature in features:
        community = _community_of(feature.code)
        if community is not None and community not in communities:
            errors.append(GridIssue(GridProblem.UNKNOWN_COMMUNITY, (feature.code,), community))
    for grid in grids:
        if grid.community in communities:
            communities[grid.community].grids.append(grid)
    errors += _outside_checks([c for c in communities.values() if c.geometry is not None])
    return errors


def _outside_checks(communities: Sequence[_Community]) -> list[GridIssue]:
    pairs = [(grid, community) for community in communities for grid in community.grids]
    if not pairs:
        return []
    outlines = np.array([community.geometry for _, community in pairs], dtype=object)
    shapes = np.array([grid.geometry for grid, _ in pairs], dtype=object)
    shapely.prepare(outlines)
    # Most grids lie well inside; only the others are worth an overlay.
    suspects = np.flatnonzero(~shapely.covers(outlines, shapes))
    outside = shapely.difference(shapes[suspects], outlines[suspects])
    outside_m2 = shapely.area(outside) * _m2_per_deg2(shapes[suspects])
    limit = np.minimum(
        _square_metres(shapes[suspects]) * OUTSIDE_TOLERANCE_SHARE, OUTSIDE_TOLERANCE_M2
    )
    return [
        GridIssue(GridProblem.OUTSIDE_COMMUNITY, (pairs[i][0].label,), f"{area:.0f}")
        for i, area, allowed in zip(suspects, outside_m2, limit, strict=True)
        if area > allowed
    ]


def _coverage_warnings(communities: Mapping[str, _Community]) -> list[GridIssue]:
    """Communities the file leaves partly without grids, or cannot check for lack of a polygon.

    Only computed for a file without errors: its grids are then disjoint and inside
    their community (up to the tolerances), so their areas add up to the covered area.
    """
    warnings = []
    for code, community in sorted(communities.items()):
        if community.geometry is None:
            warnings.append(GridIssue(GridProblem.COMMUNITY_WITHOUT_GEOMETRY, (code,)))
            continue
        area = community.geometry.area
        covered = sum(grid.geometry.area for grid in community.grids)
        uncovered = 1 - min(covered, area) / area if area else 0.0
        if uncovered > UNCOVERED_TOLERANCE_SHARE:
            warnings.append(
                GridIssue(GridProblem.COMMUNITY_NOT_COVERED, (code,), f"{uncovered * 100:.1f}")
            )
    return warnings


def _store_grids(db: Session, grids: Sequence[_Grid], file: str) -> None:
    records = [
        RegionRecord(
            code=grid.code,
            name=grid.name,
            level=Level.GRID,
            parent_code=grid.code[:12],
            geometry=grid.geometry,
            source="import",
        )
        for grid in grids
    ]
    replace_grids(db, sorted({grid.code[:12] for grid in grids}), keep={g.code for g in grids})
    save_regions(db, records, kind="grids", summary=f"{file}: {len(records)}")
