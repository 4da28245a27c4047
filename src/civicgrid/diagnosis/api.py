"""The stored monthly diagnosis (微智理), per grid inside the caller's jurisdiction."""

from typing import Annotated

from fastapi import APIRouter, Query

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.diagnosis import service
from civicgrid.diagnosis.schemas import MonthlyOut

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])


@router.get("/monthly", response_model=MonthlyOut)
def get_monthly(
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    month: Annotated[str | None, Query(description="The report's month, YYYY-MM")] = None,
    region: Annotated[str | None, Query(description="Only grids inside this region")] = None,
) -> MonthlyOut:
    """Counts, changes, anomalies and ranking of each grid, with its problems in words."""
    return MonthlyOut.of(service.monthly(db, actor, month=month, region=region), locale)
