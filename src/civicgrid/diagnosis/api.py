"""The stored monthly diagnosis (微智理), per grid inside the caller's jurisdiction."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.auth.scope import Actor
from civicgrid.db import RowId
from civicgrid.diagnosis import excel, recommendations, service
from civicgrid.diagnosis.schemas import DecisionIn, MonthlyOut, RecommendationOut, TrendMonthOut
from civicgrid.downloads import attachment

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])


@dataclass(frozen=True)
class MonthlyQuery:
    """The query string both endpoints read; the month is checked by the service (4xx)."""

    month: Annotated[str | None, Query(description="The report's month, YYYY-MM")] = None
    region: Annotated[str | None, Query(description="Only grids inside this region")] = None

    def report(self, db: Session, actor: Actor, locale: str) -> MonthlyOut:
        view = service.monthly(db, actor, month=self.month, region=self.region)
        return MonthlyOut.of(view, locale)


Asked = Annotated[MonthlyQuery, Depends()]
RiskClass = Annotated[str | None, Query(max_length=40, description="One risk class only")]
Region = Annotated[str | None, Query(max_length=15, description="A region or a grid")]


@router.get("/months", response_model=list[str])
def get_months(db: DbSession, actor: CurrentActor) -> list[str]:
    """The months with a stored report, newest first."""
    return service.months(db, actor)


@router.get("/trend", response_model=list[TrendMonthOut])
def get_trend(
    db: DbSession, actor: CurrentActor, region: Region = None, risk_class: RiskClass = None
) -> list[TrendMonthOut]:
    """A region's or a grid's events in each stored month, with its changes."""
    found = service.trend(db, actor, region=region, risk_class=risk_class)
    return [TrendMonthOut.of(entry) for entry in found]


@router.get("/monthly", response_model=MonthlyOut)
def get_monthly(db: DbSession, actor: CurrentActor, locale: Locale, asked: Asked) -> MonthlyOut:
    """Counts, changes, anomalies and ranking of each grid, with its problems in words."""
    return asked.report(db, actor, locale)


@router.get("/monthly.xlsx", response_class=Response)
def get_monthly_workbook(
    db: DbSession, actor: CurrentActor, locale: Locale, asked: Asked
) -> Response:
    """The same report as an Excel workbook, headed in the caller's language."""
    found = asked.report(db, actor, locale)
    filename = f"analysis-{found.month}-{found.region_code or 'all'}.xlsx"
    return attachment(excel.workbook(found, locale), filename)


@router.get("/recommendations", response_model=list[RecommendationOut])
def get_recommendations(
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    month: Annotated[str | None, Query(description="The report's month, YYYY-MM")] = None,
) -> list[RecommendationOut]:
    """The month's recommendations for the caller's grids, proposed and decided."""
    found = recommendations.for_month(db, actor, month=month)
    return [RecommendationOut.of(item, locale) for item in found]


@router.post("/recommendations/{recommendation_id}/accept", response_model=RecommendationOut)
def post_accept(
    recommendation_id: RowId, db: DbSession, actor: CurrentActor, locale: Locale
) -> RecommendationOut:
    """Accept: the grid's household-visit and patrol plans move one cadence up."""
    found = recommendations.accept(db, actor, recommendation_id=recommendation_id)
    db.commit()
    return RecommendationOut.of(found, locale)


@router.post("/recommendations/{recommendation_id}/decline", response_model=RecommendationOut)
def post_decline(
    recommendation_id: RowId, body: DecisionIn, db: DbSession, actor: CurrentActor, locale: Locale
) -> RecommendationOut:
    """Decline with a reason: the plans stay as they are."""
    found = recommendations.decline(
        db, actor, recommendation_id=recommendation_id, reason=body.reason
    )
    db.commit()
    return RecommendationOut.of(found, locale)


@router.get("/monthly.pdf", response_class=Response)
def get_monthly_pdf(db: DbSession, actor: CurrentActor, locale: Locale, asked: Asked) -> Response:
    """The same report as a printable PDF, with its trend chart and a map of the grids.

    fpdf2, fontTools and matplotlib load on the first PDF, not with the app: their
    seconds of import time would delay every server start for a rarely asked export.
    """
    from civicgrid.diagnosis import pdf  # noqa: PLC0415

    found = asked.report(db, actor, locale)
    trend = service.trend(db, actor, region=found.region_code or None)
    body = pdf.document(
        found,
        region=service.region_name(db, found.region_code),
        trend=trend,
        shapes=service.shapes(db, [grid.grid_code for grid in found.grids]),
        locale=locale,
    )
    filename = f"analysis-{found.month}-{found.region_code or 'all'}.pdf"
    return attachment(body, filename, pdf.MEDIA_TYPE)
