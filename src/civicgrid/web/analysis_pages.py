"""The analysis pages: the monthly diagnosis (研判分析) for those who read it, and the
external sources (数据汇聚) for the administrators who take their files in.

Both are shells the browser fills from the API (diagnosis/api.py, sources/api.py); the
server sends the month list and the reader's area with the page, so it opens at once.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from civicgrid.auth.deps import DbSession, Locale, OptionalActor
from civicgrid.categories.reference import risk_classes
from civicgrid.diagnosis import service as diagnosis
from civicgrid.diagnosis.roles import ANALYSIS_VIEWERS
from civicgrid.diagnosis.sentences import class_name
from civicgrid.settings import Settings
from civicgrid.sources.models import SourceKind
from civicgrid.sources.roles import SOURCE_ADMINS
from civicgrid.web.rendering import page_strings, render_page, staff_header, turned_away

router = APIRouter(include_in_schema=False)
CASE_STATUSES = ("case.status.",)
Asked = Annotated[str | None, Query(max_length=15)]


@router.get("/analysis")
def analysis_page(
    request: Request,
    db: DbSession,
    actor: OptionalActor,
    locale: Locale,
    *,
    month: Asked = None,
    region: Asked = None,
) -> Response:
    """Month picker, region drill-down, map (by grid or H3 hexagon, with the weekly hours),
    trend overall and by risk class, anomalies, ranking, the safe-place list and the cases
    behind a figure; `?month=&region=` reopen the same view (the page keeps them current)."""
    if (away := turned_away(request, actor, ANALYSIS_VIEWERS)) is not None:
        return away
    settings: Settings = request.app.state.settings
    months = diagnosis.months(db, actor)
    return render_page(
        request,
        "analysis.html",
        locale,
        **staff_header(actor, locale),
        strings=page_strings(locale, extra=CASE_STATUSES),
        has_months=bool(months),
        config={
            "months": months,
            "month": month if month in months else (months[0] if months else None),
            "scopeCode": actor.scope_code or "",
            "region": region or actor.scope_code or "",
            "tileUrl": settings.tile_url,
            "tileAttribution": settings.tile_attribution,
            "riskClasses": _risk_class_names(locale),
        },
    )


def _risk_class_names(locale: str) -> dict[str, str]:
    """The 29 risk classes by code, named in the reader's language, in the catalogue's order."""
    return {risk.code: class_name(risk.code, locale) for risk in risk_classes()}


@router.get("/sources")
def sources_page(request: Request, actor: OptionalActor, locale: Locale) -> Response:
    """The sources of the reader's area with their mappings, a file upload with its row
    report, and the watched folder's latest runs."""
    if (away := turned_away(request, actor, SOURCE_ADMINS)) is not None:
        return away
    return render_page(
        request,
        "sources.html",
        locale,
        **staff_header(actor, locale),
        strings=page_strings(locale, extra=("sources.column.",)),
        kinds=[kind.value for kind in SourceKind],
        config={"riskClasses": _risk_class_names(locale)},
    )
