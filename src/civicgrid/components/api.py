"""HTTP routes of the component register: a survey file in, the area's components out."""

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.auth.service import require_role
from civicgrid.components import files, service
from civicgrid.components.classes import component_classes
from civicgrid.components.roles import COMPONENT_KEEPERS
from civicgrid.components.schemas import ComponentClassOut, ComponentFilterIn, ComponentOut
from civicgrid.errors import Invalid
from civicgrid.registry.import_api import ImportReportOut, require_interactive_size
from civicgrid.registry.importing.files import CSV_SUFFIXES, XLSX_SUFFIXES
from civicgrid.uploads import saved_upload

router = APIRouter(prefix="/api/v1/components", tags=["components"])

MAX_IMPORT_BYTES = 16 * 1024 * 1024


@router.post("/import", response_model=ImportReportOut)
def post_import(
    *,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False,
) -> ImportReportOut:
    """A survey file stored whole or not at all; 200 with the row report either way."""
    require_role(actor, COMPONENT_KEEPERS)
    suffixes = XLSX_SUFFIXES | CSV_SUFFIXES | {".xls"}
    if PurePath(file.filename or "").suffix.lower() not in suffixes:
        raise Invalid("device_import_format")
    with saved_upload(file, suffixes=suffixes, max_bytes=MAX_IMPORT_BYTES) as path:
        require_interactive_size(path, files.MAX_ROWS, "device_import_too_many_rows")
        report = files.import_components(
            db,
            path,
            actor=actor,
            settings=request.app.state.settings,
            grid_index=request.app.state.grid_index,
            dry_run=dry_run,
        )
    db.commit()
    return ImportReportOut.of(report, locale)


@router.get("/classes", response_model=list[ComponentClassOut])
def get_classes(locale: Locale) -> list[ComponentClassOut]:
    """The minor classes of GB/T 30428.2 with their major classes: public reference data."""
    return [ComponentClassOut.of(found, locale) for found in component_classes().values()]


@router.get("", response_model=list[ComponentOut])
def get_components(
    response: Response,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    asked: Annotated[ComponentFilterIn, Query()],
) -> list[ComponentOut]:
    """The area's components by code, searched by code, name or address; X-Total-Count."""
    query = service.ComponentQuery(
        text=asked.q,
        class_code=asked.class_code,
        status=asked.status,
        region_code=asked.region,
        limit=asked.limit,
        offset=asked.offset,
    )
    found, total = service.list_components(db, actor, query)
    response.headers["X-Total-Count"] = str(total)
    return [ComponentOut.of(component, locale) for component in found]


@router.get("/{code}", response_model=ComponentOut)
def get_component(
    code: Annotated[str, Path(max_length=40)], db: DbSession, actor: CurrentActor, locale: Locale
) -> ComponentOut:
    return ComponentOut.of(service.visible_component(db, actor, code), locale)
