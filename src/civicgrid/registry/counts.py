"""How many people live in each grid: a count for rates, never a list of who."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.registry.models import Resident


def residents_per_region(db: Session) -> dict[str, int]:
    """Registered residents per region code (a grid, where the registry placed them there).

    Called by the monthly analysis for rates per 1,000 residents; it returns counts only,
    so the people themselves never leave the registry.
    """
    rows = db.execute(
        select(Resident.region_code, func.count()).group_by(Resident.region_code)
    ).all()
    return {code: int(count) for code, count in rows}
