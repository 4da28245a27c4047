"""Importing a registry file (CSV or .xlsx): every row checked, every problem reported by row.

A file is stored in full or not at all: one bad ID number refuses the whole
file, with each bad row listed as the clerk sees it in Excel (row number,
column heading, what is wrong), unless the clerk chooses to skip the bad rows.

The import is one transaction that the caller commits, as after every other
verb. When nothing is to be kept (a dry run, a refused file) the import rolls
the session back itself, so call it with a session that holds nothing else.
(Not a savepoint: on SQLite, releasing a savepoint that opened the transaction
commits it.) The chunks need no commits of their own: each chunk goes to the
database in bulk, so the open transaction holds no objects in memory, and
committing part of a file would break "all or nothing".

Speed matters (a city's register is millions of rows): rows are read and
checked in chunks, the database is asked once per chunk (duplicate ID numbers
by blind index, known households), and each chunk is written with multi-row
inserts rather than one ORM object at a time. The columns of each kind are
described in docs/registry-import.md.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from itertools import islice
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.errors import DomainError, Forbidden, Invalid
from civicgrid.geo.service import GridIndex
from civicgrid.registry.cells import cell_text
from civicgrid.registry.importing.checks import CHECKS
from civicgrid.registry.importing.columns import Column, columns_of
from civicgrid.registry.importing.files import Rows, open_rows
from civicgrid.registry.importing.header import find_header
from civicgrid.registry.importing.placing import place_rows, resolve_addresses
from civicgrid.registry.importing.report import ImportKind, ImportReport, RowError
from civicgrid.registry.importing.rows import Context, Row, read_row
from civicgrid.registry.importing.writes import WRITERS
from civicgrid.registry.roles import IMPORT_ROLES
from civicgrid.settings import Settings

CHUNK_ROWS = 5000


def require_importer(actor: Actor) -> None:
    if actor.role not in IMPORT_ROLES:
        raise Forbidden("registry_import_forbidden")


@dataclass(frozen=True)
class Importer:
    """One kind of file: its columns, its checks against the file and the store, its writer.

    The registry's kinds are importers, and so are other domains' files (devices,
    city components): each brings its own columns, checks and writer and gets the
    same reading, row report, placing in grids, jurisdiction and all-or-nothing rule.
    `standard_addresses` turns address texts into the address book's entries before
    writing; a kind whose address is a free description leaves it off.
    """

    kind: str
    columns: Callable[[date], tuple[Column, ...]]
    check: Callable[[Context, list[Row]], None]
    write: Callable[[Context, list[Row]], int]
    standard_addresses: bool = True


def registry_importer(kind: ImportKind) -> Importer:
    return Importer(
        kind=kind, columns=partial(columns_of, kind), check=CHECKS[kind], write=WRITERS[kind]
    )


def import_file(
    db: Session,
    path: Path,
    *,
    kind: ImportKind,
    actor: Actor,
    settings: Settings,
    grid_index: GridIndex,
    skip_bad_rows: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Check every row of the file and store it, all or nothing unless `skip_bad_rows`."""
    require_importer(actor)
    return run_import(
        db,
        path,
        registry_importer(kind),
        actor=actor,
        settings=settings,
        grid_index=grid_index,
        skip_bad_rows=skip_bad_rows,
        dry_run=dry_run,
    )


def run_import(
    db: Session,
    path: Path,
    importer: Importer,
    *,
    actor: Actor,
    settings: Settings,
    grid_index: GridIndex,
    skip_bad_rows: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Any importer's file, all or nothing unless `skip_bad_rows`; the caller checks the role.

    What is stored stays in the session for the caller to commit; when nothing
    is to be kept (and always on a dry run) the session is rolled back.
    """
    started = time.perf_counter()
    report = ImportReport(
        kind=importer.kind, file=path.name, dry_run=dry_run, skip_bad_rows=skip_bad_rows
    )
    try:
        with open_rows(path) as rows:
            _import_rows(Context.start(db, actor, settings, grid_index), importer, rows, report)
    except DomainError as error:
        report.add([RowError(0, "", error.code, error.params)])
    _finish(db, report)
    report.seconds = time.perf_counter() - started
    return report


def require_table(report: ImportReport) -> None:
    """Refuse, as a whole, a file that is no table at all (unreadable, an old .xls, no
    heading row): for importers whose callers answer that with a 4xx, not a report."""
    problem = next((error for error in report.errors if error.row == 0), None)
    if problem is not None:
        raise Invalid(problem.code, **problem.params)


def _finish(db: Session, report: ImportReport) -> None:
    if report.dry_run or report.refused or (report.error_count and not report.skip_bad_rows):
        db.rollback()
        report.imported = 0


def _import_rows(context: Context, importer: Importer, rows: Rows, report: ImportReport) -> None:
    columns = importer.columns(context.today)
    header = find_header(importer.kind, columns, rows, report)
    if header is None:
        return
    placed = [
        (column.key, column.parse, column.required, header.positions.get(column.key, -1))
        for column in columns
    ]
    while chunk := list(islice(rows, CHUNK_ROWS)):
        filled = [(number, cells) for number, cells in chunk if any(cell_text(c) for c in cells)]
        parsed = [read_row(number, cells, placed) for number, cells in filled]
        _import_chunk(context, importer, parsed, report)


def _import_chunk(
    context: Context, importer: Importer, rows: list[Row], report: ImportReport
) -> None:
    place_rows(context, importer.kind, rows)
    importer.check(context, [row for row in rows if row.ok])
    good = [row for row in rows if row.ok]
    if _writing(report, clean=len(good) == len(rows)):
        if importer.standard_addresses:
            good = resolve_addresses(context, good)
        report.imported += importer.write(context, good)
    report.rows_read += len(rows)
    report.skipped += sum(not row.ok for row in rows)
    report.add(error for row in rows for error in row.errors)


def _writing(report: ImportReport, *, clean: bool) -> bool:
    """Good rows are written unless this is a dry run or a bad row has already doomed the file."""
    if report.dry_run:
        return False
    return report.skip_bad_rows or (clean and report.error_count == 0)
