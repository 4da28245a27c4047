"""Importing an administrator's grids as one all-or-nothing operation.

Grids come from a GeoJSON or Shapefile. Every problem in the file is collected into
the report with the codes it concerns, and the file is stored only when there is
none: a half-imported grid layer would leave points located in grids that are about
to change.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.divisions import Level, normalise_code
from civicgrid.errors import Invalid
from civicgrid.geo import crs as crs_module
from civicgrid.geo.crs import Geometries
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
    converted = crs_module.geometries_to_wgs84(geometries[in_range], crs)
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
