"""Indicator endpoints: the same report as JSON and as an Excel workbook."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from civicgrid.analytics import dashboard, excel, service
from civicgrid.analytics.schemas import DashboardOut, IndicatorReportOut
from civicgrid.analytics.service import Grouping, IndicatorReport
from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.auth.scope import Actor
from civicgrid.downloads import attachment

router = APIRouter(prefix="/api/v1", tags=["analytics"])


@dataclass(frozen=True)
class IndicatorQuery:
    """The query string both endpoints read; dates are parsed by the service for clear errors."""

    start: Annotated[
        str | None, Query(alias="from", description="First day, YYYY-MM-DD (local)")
    ] = None
    to: Annotated[str | None, Query(description="Last day, YYYY-MM-DD, included")] = None
    group: Annotated[Grouping, Query(description="department or a region level")] = (
        Grouping.DISTRICT
    )
    region: Annotated[str | None, Query(description="Only cases inside this region")] = None

    def report(self, db: Session, actor: Actor) -> IndicatorReport:
        period = service.parse_period(self.start, self.to, today=service.local_today())
        return service.report(
            db, actor, period=period, group_by=self.group, region_code=self.region
        )


Asked = Annotated[IndicatorQuery, Depends()]


@router.get("/indicators", response_model=IndicatorReportOut)
def get_indicators(db: DbSession, actor: CurrentActor, asked: Asked) -> IndicatorReportOut:
    """Evaluation figures of the cases reported in the period, per group."""
    return IndicatorReportOut.of(asked.report(db, actor))


@router.get("/indicators.xlsx", response_class=Response)
def get_indicators_workbook(
    db: DbSession, actor: CurrentActor, locale: Locale, asked: Asked
) -> Response:
    """The same figures as an Excel file, headed in the caller's language."""
    found = asked.report(db, actor)
    filename = f"indicators-{found.grouping.value}-{found.period.start}-{found.period.end}.xlsx"
    return attachment(excel.workbook(found, locale), filename)


@router.get("/dashboard", response_model=DashboardOut)
def get_dashboard(
    db: DbSession,
    actor: CurrentActor,
    region: Annotated[str | None, Query(max_length=15, description="Default: own area")] = None,
) -> DashboardOut:
    """The command centre's figures for one region and each region one level down."""
    return DashboardOut.of(dashboard.dashboard(db, actor, region))
