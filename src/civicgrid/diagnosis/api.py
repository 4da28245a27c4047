"""The stored monthly diagnosis (微智理), per grid inside the caller's jurisdiction."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.auth.scope import Actor
from civicgrid.diagnosis import excel, service
from civicgrid.diagnosis.schemas import MonthlyOut

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
    return Response(
        excel.workbook(found, locale),
        media_type=excel.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
