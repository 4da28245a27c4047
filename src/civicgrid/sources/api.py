"""HTTP routes for external sources: save a mapping once, then upload its files.

An import answers 200 with its report whether or not it stored anything, as the
registry's does: the report, row by row, is what the administrator needs.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from pydantic import BaseModel

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.auth.service import require_role
from civicgrid.registry.import_api import (
    MAX_UPLOAD_BYTES,
    RowReportOut,
    require_interactive_size,
)
from civicgrid.registry.importing.files import CSV_SUFFIXES, XLSX_SUFFIXES
from civicgrid.sources import service, watch
from civicgrid.sources.importer import SourceReport, import_records
from civicgrid.sources.roles import SOURCE_ADMINS
from civicgrid.sources.schemas import SourceIn, SourceName, SourceOut
from civicgrid.uploads import saved_upload

router = APIRouter(prefix="/api/v1/analysis/sources", tags=["analysis"])

NamePath = Annotated[SourceName, Path(description="The source's name, e.g. 110-donghu")]


class SourceReportOut(RowReportOut):
    source: str
    duplicates: int

    @classmethod
    def of(cls, report: SourceReport, locale: str) -> "SourceReportOut":
        counts = cls.fields_of(report, locale)
        return cls(source=report.kind, duplicates=report.duplicates, **counts)


class RunOut(BaseModel):
    file: str
    outcome: str
    taken_at: datetime
    report: list[str]

    @classmethod
    def of(cls, run: watch.Run) -> "RunOut":
        taken = datetime.fromtimestamp(run.taken_at, tz=UTC)
        return cls(file=run.file, outcome=run.outcome, taken_at=taken, report=run.report)


class DropsOut(BaseModel):
    watched: bool
    runs: list[RunOut]


@router.get("", response_model=list[SourceOut])
def get_sources(db: DbSession, actor: CurrentActor) -> list[SourceOut]:
    return [SourceOut.of(source, count) for source, count in service.list_sources(db, actor=actor)]


@router.get("/{name}", response_model=SourceOut)
def get_source(name: NamePath, db: DbSession, actor: CurrentActor) -> SourceOut:
    source = service.get_source(db, actor=actor, name=name)
    return SourceOut.of(source, service.record_count(db, source))


@router.get("/{name}/drops", response_model=DropsOut)
def get_drops(name: NamePath, request: Request, db: DbSession, actor: CurrentActor) -> DropsOut:
    """The watched folder's latest runs for this source (its reports as the worker wrote
    them, in the platform's language); `watched` is false when no folder is set."""
    source = service.get_source(db, actor=actor, name=name)
    root = request.app.state.settings.sources_watch_dir
    runs = watch.latest_runs(root, source.name)
    return DropsOut(watched=root is not None, runs=[RunOut.of(run) for run in runs])


@router.put("/{name}", response_model=SourceOut)
def put_source(name: NamePath, data: SourceIn, db: DbSession, actor: CurrentActor) -> SourceOut:
    """Create the source or replace its mapping (written to the change log)."""
    source = service.save_source(db, actor=actor, name=name, data=data)
    db.commit()
    return SourceOut.of(source, service.record_count(db, source))


@router.post("/{name}/imports", response_model=SourceReportOut)
def post_import(
    *,
    name: NamePath,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False,
) -> SourceReportOut:
    require_role(actor, SOURCE_ADMINS)
    source = service.get_source(db, actor=actor, name=name)
    suffixes = XLSX_SUFFIXES | CSV_SUFFIXES | {".xls"}
    with saved_upload(file, suffixes=suffixes, max_bytes=MAX_UPLOAD_BYTES) as path:
        # Past the setting's rows, the command line's or the watched folder's job.
        require_interactive_size(path, request.app.state.settings.import_max_rows)
        report = import_records(
            db,
            path,
            source=source,
            actor=actor,
            grid_index=request.app.state.grid_index,
            dry_run=dry_run,
        )
    db.commit()
    return SourceReportOut.of(report, locale)
