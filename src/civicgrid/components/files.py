"""A component survey file (CSV or .xlsx) imported through the registry importer's steps.

Only the columns, the code checks and the writer are particular to components;
reading, the row report, placing by point, jurisdiction and all-or-nothing are
`registry.importing.service.run_import`'s.
"""

from datetime import date
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.auth.service import require_role
from civicgrid.components.classes import parse_component_code, require_code_fits
from civicgrid.components.models import Component, ComponentStatus
from civicgrid.components.roles import COMPONENT_KEEPERS
from civicgrid.errors import DomainError
from civicgrid.geo.service import GridIndex
from civicgrid.registry.cells import cell_coordinate
from civicgrid.registry.importing.checks import check_departments
from civicgrid.registry.importing.columns import (
    LAT_RANGE,
    LNG_RANGE,
    Column,
    choice_cell,
    grid_code_cell,
    text_cell,
)
from civicgrid.registry.importing.report import ImportReport
from civicgrid.registry.importing.rows import Context, Row
from civicgrid.registry.importing.service import Importer, require_table, run_import
from civicgrid.settings import Settings

KIND = "components"
MAX_ROWS = 20_000
COLUMNS = (
    Column("component_code", text_cell(40), required=True),
    Column("component_name", text_cell(120)),
    Column("lng", partial(cell_coordinate, low=LNG_RANGE[0], high=LNG_RANGE[1]), required=True),
    Column("lat", partial(cell_coordinate, low=LAT_RANGE[0], high=LAT_RANGE[1]), required=True),
    Column("address", text_cell(255)),
    Column("department_code", text_cell(40)),
    Column("component_status", choice_cell("component_status", ComponentStatus)),
    Column("grid_code", grid_code_cell),
)


def _columns(today: date) -> tuple[Column, ...]:
    return COLUMNS


def _check(context: Context, rows: list[Row]) -> None:
    """Each code valid and of the district its point lies in, once in the file, not yet
    registered; each owner department known."""
    for row in rows:
        try:
            code = parse_component_code(row.values["component_code"])
            require_code_fits(code, region_code=row.region_code)
        except DomainError as error:
            row.refuse("component_code", error.code, **error.params)
            continue
        row.values["component_code"] = str(code)
        row.values["class"] = code.component_class
    coded = [row for row in rows if row.ok]
    fresh = [
        row
        for row in coded
        if not context.repeated(row, "component_code", row.values["component_code"])
    ]
    codes = [row.values["component_code"] for row in fresh]
    taken = set(context.db.scalars(select(Component.code).where(Component.code.in_(codes))))
    for row in fresh:
        if row.values["component_code"] in taken:
            row.refuse("component_code", "component_code_taken", code=row.values["component_code"])
    check_departments(context, [row for row in rows if row.ok])


def _write(context: Context, rows: list[Row]) -> int:
    components = [
        Component(
            code=row.values["component_code"],
            class_code=row.values["class"].code,
            # A survey often leaves the name blank: the class names the thing.
            name=row.values["component_name"] or row.values["class"].name,
            lng=row.values["lng"],
            lat=row.values["lat"],
            region_code=row.region_code,
            address=row.values["address"] or "",
            department_id=row.values["department_id"],
            status=row.values["component_status"] or ComponentStatus.INTACT.value,
        )
        for row in rows
    ]
    context.db.add_all(components)
    context.db.flush()
    return len(components)


IMPORTER = Importer(
    kind=KIND, columns=_columns, check=_check, write=_write, standard_addresses=False
)


def import_components(
    db: Session,
    path: Path,
    *,
    actor: Actor,
    settings: Settings,
    grid_index: GridIndex,
    dry_run: bool = False,
) -> ImportReport:
    """Register every component of the file or none.

    A file that is no table at all is refused as a whole with the reason.
    """
    require_role(actor, COMPONENT_KEEPERS)
    report = run_import(
        db, path, IMPORTER, actor=actor, settings=settings, grid_index=grid_index, dry_run=dry_run
    )
    require_table(report)
    return report
