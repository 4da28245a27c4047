"""HTTP routes for registry files: upload an import, download an export.

Mounted beside the registry's own router under the same prefix. An import
answers 200 with its report whether or not it stored anything: the report,
row by row, is what the clerk needs to correct the file.
"""

import io
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.downloads import attachment
from civicgrid.errors import DomainError, TooLarge
from civicgrid.registry.export import export_workbook
from civicgrid.registry.importing.files import CSV_SUFFIXES, XLSX_SUFFIXES, open_rows
from civicgrid.registry.importing.report import ImportKind, ImportReport, RowError
from civicgrid.registry.importing.service import import_file, require_importer
from civicgrid.registry.sealing import cipher_for
from civicgrid.uploads import saved_upload

router = APIRouter(prefix="/api/v1/registry", tags=["registry"])

MAX_UPLOAD_BYTES = 256 * 1024 * 1024


class RowErrorOut(BaseModel):
    row: int
    column: str
    column_key: str
    code: str
    message: str

    @classmethod
    def of(cls, error: RowError, locale: str) -> "RowErrorOut":
        return cls(
            row=error.row,
            column=error.column_label(locale),
            column_key=error.column,
            code=error.code,
            message=error.message(locale),
        )


class RowReportOut(BaseModel):
    """What every file import answers (the registry's and the external sources'): the
    counts and each refused row with its reason, in the reader's language."""

    file: str
    dry_run: bool
    refused: bool
    rows_read: int
    imported: int
    skipped: int
    error_count: int
    seconds: float
    errors: list[RowErrorOut]
    warnings: list[RowErrorOut]

    @staticmethod
    def fields_of(report: ImportReport, locale: str) -> dict[str, Any]:
        return {
            "file": report.file,
            "dry_run": report.dry_run,
            "refused": report.refused,
            "rows_read": report.rows_read,
            "imported": report.imported,
            "skipped": report.skipped,
            "error_count": report.error_count,
            "seconds": round(report.seconds, 3),
            "errors": [RowErrorOut.of(error, locale) for error in report.errors],
            "warnings": [RowErrorOut.of(warning, locale) for warning in report.warnings],
        }


class ImportReportOut(RowReportOut):
    kind: str
    skip_bad_rows: bool

    @classmethod
    def of(cls, report: ImportReport, locale: str) -> "ImportReportOut":
        return cls(
            kind=report.kind, skip_bad_rows=report.skip_bad_rows, **cls.fields_of(report, locale)
        )


@router.post("/imports", response_model=ImportReportOut)
def post_import(
    *,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    file: Annotated[UploadFile, File()],
    kind: Annotated[ImportKind, Form()],
    skip_bad_rows: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> ImportReportOut:
    require_importer(actor)
    suffixes = XLSX_SUFFIXES | CSV_SUFFIXES | {".xls"}
    with saved_upload(file, suffixes=suffixes, max_bytes=MAX_UPLOAD_BYTES) as path:
        require_interactive_size(path, request.app.state.settings.import_max_rows)
        report = import_file(
            db,
            path,
            kind=kind,
            actor=actor,
            settings=request.app.state.settings,
            grid_index=request.app.state.grid_index,
            skip_bad_rows=skip_bad_rows,
            dry_run=dry_run,
        )
    db.commit()
    return ImportReportOut.of(report, locale)


def require_interactive_size(path: Path, limit: int, code: str = "import_too_many_rows") -> None:
    """A request holds a worker while it imports: past `limit` rows, the command line's job.

    Counting stops one row past the limit, so a million-row file costs no more to
    refuse than an allowed one costs to read.
    """
    try:
        with open_rows(path) as rows:
            counted = sum(1 for _ in islice(rows, limit + 2))
    except DomainError:
        return  # an unreadable file: the import's own report says why
    if counted > limit + 1:  # the header row, then `limit` rows of data
        raise TooLarge(code, limit=limit)


@router.get("/exports/{kind}.xlsx", response_class=Response)
def get_export(
    request: Request, kind: ImportKind, db: DbSession, actor: CurrentActor, locale: Locale
) -> Response:
    """The actor's area only, masked; never the unmasked numbers."""
    buffer = io.BytesIO()
    cipher = cipher_for(request.app.state.settings)
    export_workbook(db, kind=kind, actor=actor, cipher=cipher, locale=locale, target=buffer)
    return attachment(buffer.getvalue(), f"{kind.value}.xlsx")
