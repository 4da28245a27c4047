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
inserts rather than one ORM object at a time. The work on a row that needs
neither the database nor another row (reading its cells, sealing) is done in
a second process for a long file, a chunk ahead of the one being stored
(pipeline.py). The columns of each kind are described in docs/registry-import.md.
"""

import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.errors import DomainError, Forbidden, Invalid
from civicgrid.geo.service import GridIndex
from civicgrid.registry.importing.checks import CHECKS
from civicgrid.registry.importing.columns import Column, columns_of
from civicgrid.registry.importing.files import Rows, open_rows
from civicgrid.registry.importing.header import find_header
from civicgrid.registry.importing.pipeline import collector_paused, prepared_chunks
from civicgrid.registry.importing.placing import place_rows, resolve_addresses
from civicgrid.registry.importing.preparing import Recipe, key_sources
from civicgrid.registry.importing.report import ImportKind, ImportReport, RowError
from civicgrid.registry.importing.rows import Context, Row
from civicgrid.registry.importing.seals import SEALS, Seal
from civicgrid.registry.importing.writes import WRITERS
from civicgrid.registry.roles import IMPORT_ROLES
from civicgrid.settings import Settings


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
    writing; a kind whose address is a free description leaves it off. `seal` seals a
    kind's personal fields as its rows are read (seals.py). `columns` and `seal` must
    pickle (module functions, partials of them) for a file to be read in a second
    process (pipeline.py); `check` and `write` always run in the import's own.
    """

    kind: str
    columns: Callable[[date], tuple[Column, ...]]
    check: Callable[[Context, list[Row]], None]
    write: Callable[[Context, list[Row]], int]
    standard_addresses: bool = True
    seal: Seal | None = None


def registry_importer(kind: ImportKind) -> Importer:
    return Importer(
        kind=kind,
        columns=partial(columns_of, kind),
        check=CHECKS[kind],
        write=WRITERS[kind],
        seal=SEALS.get(kind),
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
    """Check every row of the file and store it, all or nothing unless `skip_bad_rows`.

    A file longer than `settings.registry_import_hand_over_rows` has the rest of its
    rows read, checked and sealed in a second process (pipeline.py)."""
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
        hand_over_after=settings.registry_import_hand_over_rows,
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
    hand_over_after: int | None = None,
) -> ImportReport:
    """Any importer's file, all or nothing unless `skip_bad_rows`; the caller checks the role.

    What is stored stays in the session for the caller to commit; when nothing
    is to be kept (and always on a dry run) the session is rolled back. Rows after
    the first `hand_over_after` are prepared in a second process (None: never).
    """
    started = time.perf_counter()
    report = ImportReport(
        kind=importer.kind, file=path.name, dry_run=dry_run, skip_bad_rows=skip_bad_rows
    )
    try:
        with open_rows(path) as rows:
            context = Context.start(db, actor, grid_index)
            _import_rows(
                context,
                importer,
                rows,
                report,
                path=path,
                settings=settings,
                hand_over_after=hand_over_after,
            )
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


def _import_rows(
    context: Context,
    importer: Importer,
    rows: Rows,
    report: ImportReport,
    *,
    path: Path,
    settings: Settings,
    hand_over_after: int | None,
) -> None:
    columns = importer.columns(context.today)
    header = find_header(importer.kind, columns, rows, report)
    if header is None:
        return
    recipe = Recipe(
        kind=importer.kind,
        columns=importer.columns,
        seal=importer.seal,
        today=context.today,
        positions=header.positions,
        keys=key_sources(settings),
        tokens=not report.dry_run,
    )
    # Closed on the way out, error or not: a reading process still at work is ended.
    with closing(prepared_chunks(recipe, rows, path, hand_over_after=hand_over_after)) as chunks:
        for chunk in chunks:
            with collector_paused():
                _import_chunk(context, importer, chunk, report)


def _import_chunk(
    context: Context, importer: Importer, rows: list[Row], report: ImportReport
) -> None:
    """A chunk as read (preparing): placed, checked against the file and the registry, written."""
    place_rows(context, rows)
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
