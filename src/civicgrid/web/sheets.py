"""The printable sheets of one case: the 交办单 (dispatch sheet) and the 督办单 (supervision
sheet), each a page with print styles, names not codes, urges and 督办 listed.

A sheet is read like the case itself: `visible_case` applies the reader's jurisdiction
and role rule, so a sheet of a case the reader may not open is a 404.
"""

from datetime import datetime
from enum import StrEnum

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.deps import DbSession, Locale, OptionalActor
from civicgrid.cases import service
from civicgrid.cases.models import Case, CaseSupervision
from civicgrid.cases.queue import Names
from civicgrid.geo.models import Region
from civicgrid.i18n import translate
from civicgrid.timeutil import DISPLAY_ZONE
from civicgrid.web.rendering import render_page, staff_header, turned_away

router = APIRouter(include_in_schema=False)
TIME_FORMAT = "%Y-%m-%d %H:%M"


class Sheet(StrEnum):
    DISPATCH = "dispatch"
    SUPERVISION = "supervision"


@router.get("/desk/cases/{number}/sheets/{sheet}")
def case_sheet(
    number: str,
    sheet: Sheet,
    request: Request,
    *,
    db: DbSession,
    actor: OptionalActor,
    locale: Locale,
) -> Response:
    """One case's 交办单 or 督办单, laid out for A4 paper."""
    if (away := turned_away(request, actor)) is not None:
        return away
    case = service.visible_case(db, actor, number)
    return render_page(
        request,
        "sheet.html",
        locale,
        **staff_header(actor, locale),
        sheet=sheet.value,
        rows=_rows(db, case, locale),
        supervisions=_supervisions(db, case, locale),
    )


def _rows(db: Session, case: Case, locale: str) -> list[tuple[str, str]]:
    names = Names.of(db, [case])
    return [
        (translate("export.cases.number", locale), case.number),
        (translate("export.cases.status", locale), translate(f"case.status.{case.status}", locale)),
        (
            translate("export.cases.channel", locale),
            translate(f"page.desk.channel.{case.channel}", locale),
        ),
        (
            translate("export.cases.category", locale),
            names.categories.get(case.category_code or "", ""),
        ),
        (translate("export.cases.area", locale), _area(db, case)),
        (translate("export.cases.address", locale), case.address or ""),
        (translate("export.cases.description", locale), case.description),
        (
            translate("export.cases.department", locale),
            names.departments.get(case.department_id or 0, ""),
        ),
        (translate("export.cases.reported", locale), _local(case.created_at)),
        (translate("export.cases.due", locale), _local(case.stage_due_at)),
    ]


def _area(db: Session, case: Case) -> str:
    """Street, community and grid by name, from the widest down."""
    code = case.grid_code or case.region_code
    prefixes = [code[:length] for length in (9, 12, 15) if len(code) >= length]
    found = dict(
        db.execute(select(Region.code, Region.name).where(Region.code.in_(prefixes))).all()
    )
    return " / ".join(found[prefix] for prefix in prefixes if prefix in found)


def _supervisions(db: Session, case: Case, locale: str) -> list[tuple[str, str, str]]:
    rows = db.scalars(
        select(CaseSupervision)
        .where(CaseSupervision.case_id == case.id)
        .order_by(CaseSupervision.id)
    )
    return [
        (
            _local(row.created_at),
            translate(f"page.faces_map.sheet.kind.{row.kind}", locale),
            row.note,
        )
        for row in rows
    ]


def _local(moment: datetime | None) -> str:
    return moment.astimezone(DISPLAY_ZONE).strftime(TIME_FORMAT) if moment else ""
