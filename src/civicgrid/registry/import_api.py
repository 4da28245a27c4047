"""HTTP routes for registry files: upload an import, download an export.

Mounted beside the registry's own router under the same prefix. An import
answers 200 with its report whether or not it stored anything: the report,
row by row, is what the clerk needs to correct the file.
"""

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import BaseModel

from civicgrid.deps import CurrentActor, DbSession, Locale
from civicgrid.errors import Invalid
from civicgrid.registry.export import XLSX_MEDIA_TYPE, export_workbook
from civicgrid.registry.importing import (
    CSV_SUFFIXES,
    XLSX_SUFFIXES,
    ImportKind,
    ImportReport,
    RowError,
    import_file,
    require_importer,
)
from civicgrid.registry.sealing import cipher_for

router = APIRouter(prefix="/api/v1/registry", tags=["registry"])

MAX_UPLOAD_BYTES = 256 * 1024 * 1024
_COPY_BYTES = 1 << 20


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


class ImportReportOut(BaseModel):
    kind: ImportKind
    file: str
    dry_run: bool
    skip_bad_rows: bool
    refused: bool
    rows_read: int
    imported: int
    skipped: int
    error_count: int
    seconds: float
    errors: list[RowErrorOut]
    warnings: list[RowErrorOut]

    @classmethod
    def of(cls, report: ImportReport, locale: str) -> "ImportReportOut":
        return cls(
            kind=report.kind,
            file=report.file,
            dry_run=report.dry_run,
            skip_bad_rows=report.skip_bad_rows,
            refused=report.refused,
            rows_read=report.rows_read,
            imported=report.imported,
            skipped=report.skipped,
            error_count=report.error_count,
            seconds=round(report.seconds, 3),
            errors=[RowErrorOut.of(error, locale) for error in report.errors],
            warnings=[RowErrorOut.of(warning, locale) for warning in report.warnings],
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
    with _saved_upload(file) as path:
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
    return ImportReportOut.of(report, locale)


@contextmanager
def _saved_upload(upload: UploadFile) -> Iterator[Path]:
    """The upload in a private temporary file, keeping only a suffix the importer knows."""
    suffix = Path(upload.filename or "").suffix.lower()
    known = suffix if suffix in XLSX_SUFFIXES | CSV_SUFFIXES | {".xls"} else ""
    with tempfile.TemporaryDirectory(prefix="civicgrid-import-") as folder:
        path = Path(folder) / f"{_stem(upload.filename)}{known}"
        with path.open("wb") as target:
            copied = _copy_limited(upload, target)
        if copied > MAX_UPLOAD_BYTES:
            raise Invalid("registry_import_too_large", limit=MAX_UPLOAD_BYTES // (1024 * 1024))
        yield path


def _stem(filename: str | None) -> str:
    """The uploaded name without folders, so the report names the clerk's own file."""
    stem = Path(filename or "").stem
    return stem.replace("/", "_").replace("\\", "_") or "upload"


def _copy_limited(upload: UploadFile, target: io.BufferedWriter) -> int:
    copied = 0
    while chunk := upload.file.read(_COPY_BYTES):
        copied += len(chunk)
        if copied > MAX_UPLOAD_BYTES:
            break
        target.write(chunk)
    return copied


@router.get("/exports/{kind}.xlsx", response_class=Response)
def get_export(
    request: Request, kind: ImportKind, db: DbSession, actor: CurrentActor, locale: Locale
) -> Response:
    """The actor's area only, masked; never the unmasked numbers."""
    buffer = io.BytesIO()
    cipher = cipher_for(request.app.state.settings)
    export_workbook(db, kind=kind, actor=actor, cipher=cipher, locale=locale, target=buffer)
    disposition = f'attachment; filename="{kind.value}.xlsx"'
    return Response(
        buffer.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": disposition},
    )
