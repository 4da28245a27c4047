"""Importing the region tree as one all-or-nothing operation.

Regions come from the national statistical division codes (the NBS tables as CSV,
or the 2023 edition that ships with civicgrid when no tables are given) and,
where available, DataV district boundaries; the two sources disagree in real
life (a county renamed or upgraded keeps its old code in one of them), so every
mismatch is stored as found and listed in the report rather than dropped.
"""

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from civicgrid.divisions import Level, level_of, normalise_code, parent_code, significant_prefix
from civicgrid.errors import Invalid
from civicgrid.geo import crs as crs_module
from civicgrid.geo import division_list
from civicgrid.geo.records import RegionRecord
from civicgrid.geo.service import save_regions
from civicgrid.i18n import translate

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
    db: Session, *, codes_dir: Path | None, boundaries_dir: Path | None, prefix: str = ""
) -> RegionImportReport:
    """Store the division codes under `prefix` (and the regions above it) with their boundaries.

    `codes_dir` holds the four NBS tables; without it the codes that ship with
    civicgrid are stored (`civicgrid.geo.division_list`). Everything is read
    and checked before anything is written, so a broken file raises
    `Invalid("region_file_invalid")` with the database untouched; the caller
    commits.
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


def _read_code_tables(codes_dir: Path | None) -> list[RegionRecord]:
    records: list[RegionRecord] = []
    for table in _CODE_TABLES:
        rows = _csv_rows(codes_dir / table.file, table) if codes_dir else _shipped_rows(table)
        records.extend(_read_code_table(rows, table))
    _check_parents(records)
    return records


def _shipped_rows(table: _CodeTable) -> list[tuple[int, dict[str, str]]]:
    """The shipped codes of one table's width, in the table's columns (a parent is a prefix)."""
    rows = []
    for line, division in enumerate(division_list.divisions(), start=2):
        if len(division.code) == table.digits:
            row = {"code": division.code, "name": division.name}
            if table.parent_column:
                row[table.parent_column] = division.code[: table.parent_digits]
            rows.append((line, row))
    return rows


def _read_code_table(
    rows: list[tuple[int, dict[str, str]]], table: _CodeTable
) -> list[RegionRecord]:
    records = []
    for line, row in rows:
        code, name = row["code"], row["name"]
        parent = row[table.parent_column] if table.parent_column else None
        if not _is_row(code, name, parent, table):
            raise Invalid("region_file_invalid", file=table.file, detail=f"line {line}: {row}")
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
    converted = crs_module.geometries_to_wgs84(
        np.array([b.geometry for b in found], dtype=object), crs_module.Crs.GCJ02
    )
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
