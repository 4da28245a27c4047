"""Importing a source's file (CSV or .xlsx) through its saved mapping: all rows or none.

The registry importer's machinery reads the file (`registry.importing.files`), each row
(`rows.read_row`) and reports row by row (`report`); what is particular to external
records is here: the mapping's headings instead of fixed ones, the type → risk class
table, the place found by point, grid code or address, and de-duplication by the
source's own record id (a second import of the same file adds nothing and is no error).

Only the mapped columns are read, and only place, time, class, type and status are
stored: names, phones, ID numbers and descriptions in the file never leave it. An
address finds the grid (through the registry's place search) and is then forgotten. A
point, given or the found place's, is kept only as its H3 cell and the compound it falls
in (`civicgrid.hexcells`, `registry.compounds`), as the archive keeps a case's.

As with the registry: one transaction the caller commits; on a dry run or a file with
any bad row the session is rolled back here, so call it with a session holding nothing
else.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, may_see
from civicgrid.auth.service import require_role
from civicgrid.divisions import Level, level_of
from civicgrid.errors import DomainError
from civicgrid.geo.locator import Locator
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex
from civicgrid.hexcells import cell_of
from civicgrid.i18n import translate
from civicgrid.registry.cells import cell_text, folded
from civicgrid.registry.compounds import CompoundIndex
from civicgrid.registry.importing.files import Rows, open_rows
from civicgrid.registry.importing.report import ImportReport, RowError
from civicgrid.registry.importing.rows import PlacedColumn, Row, read_row
from civicgrid.registry.places import PlaceHit, search_places
from civicgrid.sources.models import ExternalRecord, ExternalSource
from civicgrid.sources.reading import parsers
from civicgrid.sources.roles import SOURCE_ADMINS
from civicgrid.sources.schemas import SourceMapping
from civicgrid.timeutil import as_utc, utcnow

CHUNK_ROWS = 5000
HEADER_SEARCH_ROWS = 10  # exports put a title and a date line above the headings


@dataclass(frozen=True)
class SourceRowError(RowError):
    """A problem of a source's file, its column named with the source's field labels."""

    column_ids = "sources.column.{column}"


@dataclass
class SourceReport(ImportReport):
    """The registry's report, named after the source, plus the records already stored."""

    duplicates: int = 0

    def kind_label(self, locale: str) -> str:
        return self.kind

    def lines(self, locale: str) -> list[str]:
        lines = super().lines(locale)
        lines.insert(2, translate("sources.duplicates", locale, count=self.duplicates))
        return lines

    def _outcome(self) -> str:
        if self.dry_run:
            return "sources.checked_with_errors" if self.error_count else "sources.checked"
        return "sources.refused" if self.error_count else "sources.stored"


@dataclass
class _Run:
    """What one import learns as it goes, so each chunk asks the database only what is new."""

    db: Session
    source: ExternalSource
    mapping: SourceMapping
    actor: Actor
    grid_index: GridIndex
    locator: Locator
    known_areas: frozenset[str]
    now: datetime
    classes: dict[str, str]
    compounds: CompoundIndex
    seen: set[str] = field(default_factory=set)
    places: dict[str, PlaceHit | None] = field(default_factory=dict)


def import_records(
    db: Session,
    path: Path,
    *,
    source: ExternalSource,
    actor: Actor,
    grid_index: GridIndex,
    dry_run: bool = False,
) -> SourceReport:
    """Check every row of the file and store its new records, all or nothing."""
    require_role(actor, SOURCE_ADMINS)
    started = time.perf_counter()
    report = SourceReport(kind=source.name, file=path.name, dry_run=dry_run)
    try:
        with open_rows(path) as rows:
            _import_rows(_start(db, source, actor, grid_index), rows, report)
    except DomainError as error:
        report.add([SourceRowError(0, "", error.code, error.params)])
    if dry_run or report.error_count:
        db.rollback()
        report.imported = 0
    report.seconds = time.perf_counter() - started
    return report


def _start(db: Session, source: ExternalSource, actor: Actor, grid_index: GridIndex) -> _Run:
    mapping = SourceMapping.model_validate(source.mapping)
    areas = db.scalars(select(Region.code).where(Region.level.in_([Level.GRID, Level.COMMUNITY])))
    return _Run(
        db=db,
        source=source,
        mapping=mapping,
        actor=actor,
        grid_index=grid_index,
        locator=grid_index.current(db),
        known_areas=frozenset(areas),
        now=utcnow(),
        classes={folded(value): risk for value, risk in mapping.classes.items()},
        compounds=CompoundIndex.of(db),
    )


def _import_rows(run: _Run, rows: Rows, report: SourceReport) -> None:
    placed = _find_header(run.mapping, rows, report)
    if placed is None:
        return
    while chunk := list(islice(rows, CHUNK_ROWS)):
        filled = [(number, cells) for number, cells in chunk if any(cell_text(c) for c in cells)]
        parsed = [read_row(number, cells, placed) for number, cells in filled]
        _import_chunk(run, parsed, report)


def _find_header(
    mapping: SourceMapping, rows: Rows, report: SourceReport
) -> list[PlacedColumn] | None:
    """The first of the top rows holding every mapped heading; each field's reader placed."""
    wanted = {key: heading for key, heading in mapping.columns.model_dump().items() if heading}
    readers = parsers(mapping.columns, mapping.time_format)
    best: tuple[int, dict[str, int]] = (0, {})
    for number, cells in islice(rows, HEADER_SEARCH_ROWS):
        where = {folded(cell): index for index, cell in enumerate(cells) if cell_text(cell)}
        positions = {key: where[folded(h)] for key, h in wanted.items() if folded(h) in where}
        if len(positions) == len(wanted):
            return [(key, *readers[key], positions.get(key, -1)) for key in readers]
        if len(positions) > len(best[1]):
            best = (number, positions)
    number, found = best
    report.add(
        SourceRowError(number, key, "source_column_missing", {"heading": heading})
        for key, heading in wanted.items()
        if key not in found
    )
    return None


def _import_chunk(run: _Run, rows: list[Row], report: SourceReport) -> None:
    for row in rows:
        _classify(run, row)
    _place(run, [row for row in rows if row.ok])
    fresh = _new_records(run, [row for row in rows if row.ok], report)
    clean = all(row.ok for row in rows)
    if not report.dry_run and clean and report.error_count == 0 and fresh:
        run.db.execute(insert(ExternalRecord), [_record(run, row) for row in fresh])
        report.imported += len(fresh)
    report.rows_read += len(rows)
    report.skipped += sum(not row.ok for row in rows)
    report.add(
        SourceRowError(error.row, error.column, error.code, error.params)
        for row in rows
        for error in row.errors
    )


def _classify(run: _Run, row: Row) -> None:
    kind = row.values.get("type")
    if not row.ok or kind is None:
        return
    risk = run.classes.get(folded(kind), run.mapping.default_class)
    if risk is None:
        row.refuse("type", "source_type_unmapped", value=kind)
    else:
        row.values["risk_class"] = risk


def _place(run: _Run, rows: list[Row]) -> None:
    """Each row's area: its point (one vectorised lookup), else its grid code, else its address."""
    pointed = [
        row for row in rows if row.values["lng"] is not None and row.values["lat"] is not None
    ]
    if pointed:
        slots = run.locator.locate_many(
            [row.values["lng"] for row in pointed], [row.values["lat"] for row in pointed]
        )
        for row, slot in zip(pointed, slots, strict=True):
            if slot < 0:
                row.refuse("lng", "source_point_outside")
            else:
                row.region_code = run.locator.codes[int(slot)]
                _keep_place(run, row, row.values["lng"], row.values["lat"])
    for row in rows:
        if row.ok and not row.region_code:
            _place_without_point(run, row)
        if row.ok and not may_see(run.actor, row.region_code):
            row.refuse("grid_code", "source_out_of_scope", code=row.region_code)


def _place_without_point(run: _Run, row: Row) -> None:
    code, text = row.values["grid_code"], row.values["address"]
    if code is not None:
        if code in run.known_areas:
            row.region_code = code
        else:
            row.refuse("grid_code", "source_area_unknown", code=code)
    elif text is not None:
        found = _address_place(run, text)
        if found is None:
            row.refuse("address", "source_address_unknown")
        else:
            row.region_code = found.grid_code or found.region_code
            _keep_place(run, row, found.lng, found.lat)
    else:
        row.refuse("lng" if run.mapping.columns.lng else "address", "source_no_location")


def _address_place(run: _Run, text: str) -> PlaceHit | None:
    """The best place the search box finds (its grid, else its region, is the record's
    area); asked once per text."""
    if text not in run.places:
        try:
            hits = search_places(run.db, run.actor, grid_index=run.grid_index, text=text, limit=1)
        except DomainError:
            hits = []
        run.places[text] = hits[0] if hits else None
    return run.places[text]


def _keep_place(run: _Run, row: Row, lng: float | None, lat: float | None) -> None:
    """The point's hexagon and compound: what the record keeps of it (the point is dropped)."""
    row.values["h3_cell"] = cell_of(lng, lat)
    row.values["compound_id"] = run.compounds.locate(lng, lat)


def _new_records(run: _Run, rows: list[Row], report: SourceReport) -> list[Row]:
    """The rows whose record id is neither stored nor earlier in the file."""
    ids = [row.values["record_id"] for row in rows]
    stored = set(
        run.db.scalars(
            select(ExternalRecord.record_id).where(
                ExternalRecord.source_id == run.source.id, ExternalRecord.record_id.in_(ids)
            )
        )
    )
    fresh = []
    for row in rows:
        record = row.values["record_id"]
        if record in stored or record in run.seen:
            report.duplicates += 1
        else:
            run.seen.add(record)
            fresh.append(row)
    return fresh


def _record(run: _Run, row: Row) -> dict[str, Any]:
    values = row.values
    grid = row.region_code if level_of(row.region_code) is Level.GRID else None
    return {
        "source_id": run.source.id,
        "record_id": values["record_id"],
        "occurred_at": as_utc(values["occurred_at"]),
        "region_code": row.region_code,
        "grid_code": grid,
        "risk_class": values["risk_class"],
        "source_type": values["type"],
        "status": values["status"] or "",
        "h3_cell": values.get("h3_cell"),
        "compound_id": values.get("compound_id"),
        "imported_at": run.now,
    }
