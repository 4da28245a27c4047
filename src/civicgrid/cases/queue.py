"""The workbench queue's filters as one query, and its Excel export with names, not codes.

The list (`GET /api/v1/cases`) and its export (`GET /api/v1/cases/export.xlsx`) read the
same parameters through `queue_query`, and `list_cases` puts them inside the
reader's `readable` filter, so the file holds exactly the rows the page lists.
"""

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor
from civicgrid.cases import drill
from civicgrid.cases.access import readable
from civicgrid.cases.models import Case
from civicgrid.cases.schemas import CaseFilterIn
from civicgrid.cases.states import Status
from civicgrid.categories.models import Category
from civicgrid.geo.models import Region
from civicgrid.i18n import translate
from civicgrid.timeutil import DISPLAY_ZONE, utcnow

# An export is one workbook in memory: the biggest queue a centre would print or file.
MAX_EXPORT_ROWS = 20_000
COLUMNS = (
    "number",
    "status",
    "channel",
    "category",
    "description",
    "area",
    "address",
    "department",
    "due",
    "reported",
)
TIME_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class CaseQuery:
    """What a queue shows: any of these statuses, and each other filter that is set.

    `text` matches the case number exactly or words of the description; `overdue`
    means the running stage's deadline has passed.
    """

    statuses: tuple[Status, ...] = ()
    channel: str | None = None
    category_code: str | None = None
    unlocated: bool | None = None
    department_id: int | None = None
    overdue: bool = False
    text: str = ""
    # The workbench's column filters and an analysis figure's: an area (a region code of
    # any level), a risk class, a local month, a deadline window on the running stage, and
    # the order (a key of SORTS); a hotspot map's hexagon (an H3 index).
    region: str | None = None
    risk_class: str | None = None
    month: str | None = None
    hexagon: str | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    sort: str = "-created"


SORTS = {
    "-created": (Case.id.desc(),),
    "created": (Case.id,),
    "due": (Case.stage_due_at.is_(None), Case.stage_due_at, Case.id),
    "-due": (Case.stage_due_at.is_(None), Case.stage_due_at.desc(), Case.id.desc()),
}


def list_cases(
    db: Session,
    actor: Actor,
    query: CaseQuery | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[Case], int]:
    """One page of the actor's cases, newest first, and how many match in all."""
    conditions = [readable(actor), *_conditions(query or CaseQuery(), now)]
    total = db.scalar(select(func.count()).select_from(Case).where(*conditions)) or 0
    order = SORTS[(query or CaseQuery()).sort]
    page = db.scalars(select(Case).where(*conditions).order_by(*order).limit(limit).offset(offset))
    return list(page), total


def _conditions(query: CaseQuery, now: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.statuses:
        conditions.append(Case.status.in_([status.value for status in query.statuses]))
    if query.channel:
        conditions.append(Case.channel == query.channel)
    if query.category_code:
        conditions.append(Case.category_code == query.category_code)
    if query.unlocated is not None:
        conditions.append(
            Case.grid_code.is_(None) if query.unlocated else Case.grid_code.is_not(None)
        )
    if query.department_id is not None:
        conditions.append(Case.department_id == query.department_id)
    if query.overdue:
        conditions.append(Case.stage_due_at < (now or utcnow()))
    conditions.extend(_figure_conditions(query))
    if query.due_after:
        conditions.append(Case.stage_due_at >= query.due_after)
    if query.due_before:
        conditions.append(Case.stage_due_at < query.due_before)
    text = query.text.strip()
    if text:
        conditions.append(
            or_(Case.number == text, Case.description.contains(text, autoescape=True))
        )
    return conditions


def _figure_conditions(query: CaseQuery) -> list[ColumnElement[bool]]:
    """An area, a risk class, a local month and a hexagon: the analysis figures' filters
    (`drill`), the area also a workbench column."""
    conditions: list[ColumnElement[bool]] = []
    if query.region:
        conditions.append(drill.in_region(query.region))
    if query.risk_class:
        conditions.append(drill.of_risk_class(query.risk_class))
    if query.month:
        conditions.append(drill.in_month(query.month))
    if query.hexagon:
        conditions.append(drill.in_hexagon(query.hexagon))
    return conditions


def queue_query(db: Session, actor: Actor, asked: CaseFilterIn) -> CaseQuery:
    """The filters a queue asked for; `mine` (the handler's department) wins over `department`."""
    department = (
        actor.department_id if asked.mine else auth_service.department_id(db, asked.department)
    )
    return CaseQuery(
        statuses=tuple(asked.state),
        channel=asked.channel,
        category_code=asked.category,
        unlocated=asked.unlocated,
        department_id=department,
        overdue=asked.overdue,
        text=asked.q,
        region=asked.region,
        risk_class=asked.risk_class,
        month=asked.month,
        hexagon=asked.hexagon,
        due_after=asked.due_after,
        due_before=asked.due_before,
        sort=asked.sort,
    )


def workbook(db: Session, cases: list[Case], locale: str) -> bytes:
    """The cases as an .xlsx, headed in the reader's language, each code as its name."""
    names = Names.of(db, cases)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = translate("export.cases.sheet", locale)
    sheet.append([translate(f"export.cases.{column}", locale) for column in COLUMNS])
    for heading in sheet[1]:
        heading.font = Font(bold=True)
    for case in cases:
        sheet.append(
            [
                case.number,
                translate(f"case.status.{case.status}", locale),
                translate(f"page.desk.channel.{case.channel}", locale),
                names.categories.get(case.category_code or "", case.category_code or ""),
                case.description,
                names.regions.get(case.grid_code or case.region_code, case.region_code),
                case.address or "",
                names.departments.get(case.department_id or 0, ""),
                _local(case.stage_due_at),
                _local(case.created_at),
            ]
        )
    for letter, width in zip("ABCDEFGHIJ", (22, 10, 12, 18, 48, 20, 28, 20, 17, 17), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _local(moment: datetime | None) -> str:
    """A time as the centre reads it (Asia/Shanghai), or blank when no clock runs."""
    return moment.astimezone(DISPLAY_ZONE).strftime(TIME_FORMAT) if moment else ""


class Names:
    """The names of the categories, areas and departments one export shows, in three reads."""

    def __init__(
        self, categories: dict[str, str], regions: dict[str, str], departments: dict[int, str]
    ) -> None:
        self.categories = categories
        self.regions = regions
        self.departments = departments

    @classmethod
    def of(cls, db: Session, cases: list[Case]) -> "Names":
        category_codes = {case.category_code for case in cases if case.category_code}
        region_codes = {case.grid_code or case.region_code for case in cases}
        department_ids = {case.department_id for case in cases if case.department_id}
        return cls(
            _pairs(db, Category.code, Category.name, Category.code.in_(category_codes)),
            _pairs(db, Region.code, Region.name, Region.code.in_(region_codes)),
            _pairs(db, Department.id, Department.name, Department.id.in_(department_ids)),
        )


def _pairs(db: Session, key: Any, name: Any, condition: ColumnElement[bool]) -> dict[Any, str]:
    return dict(db.execute(select(key, name).where(condition)).all())
