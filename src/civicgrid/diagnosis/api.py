"""The stored monthly diagnosis (微智理), per grid inside the caller's jurisdiction."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.auth.scope import Actor
from civicgrid.db import RowId
from civicgrid.diagnosis import excel, recommendations, service
from civicgrid.diagnosis.schemas import DecisionIn, MonthlyOut, RecommendationOut

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
