"""The open cases as points for the maps: compact rows, inside the reader's cases only.

The command map draws every open case of a city (20,000 in the reference city) and
clusters them in the browser, so a row is four values, not a case: its number, its
WGS-84 position rounded to what the zoom can show, and whether it is overdue.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.cases.access import readable
from civicgrid.cases.models import Case
from civicgrid.cases.states import FINISHED
from civicgrid.geo.service import BBox
from civicgrid.timeutil import utcnow

# More than any centre's open cases; a view past it says it was cut.
MAX_POINTS = 50_000
OPEN = "open"
OVERDUE = "overdue"


@dataclass(frozen=True)
class Points:
    rows: list[tuple[str, float, float, str]]
    capped: bool


def open_case_points(
    db: Session,
    actor: Actor,
    *,
    bbox: BBox | None,
    zoom: int | None,
    now: datetime | None = None,
) -> Points:
    """The reader's located open cases inside `bbox`, each [number, lng, lat, open|overdue]."""
    now = now or utcnow()
    query = select(Case.number, Case.lng, Case.lat, Case.stage_due_at).where(
        readable(actor),
        Case.status.not_in([status.value for status in FINISHED]),
        Case.lng.is_not(None),
        Case.lat.is_not(None),
    )
    if bbox is not None:
        query = query.where(
            Case.lng.between(bbox.min_lng, bbox.max_lng),
            Case.lat.between(bbox.min_lat, bbox.max_lat),
        )
    digits = decimals_for(zoom)
    rows = [
        (
            number,
            round(lng, digits),
            round(lat, digits),
            OVERDUE if due is not None and due < now else OPEN,
        )
        for number, lng, lat, due in db.execute(query.order_by(Case.id).limit(MAX_POINTS + 1))
        if lng is not None and lat is not None  # the query's own condition, for the types
    ]
    return Points(rows[:MAX_POINTS], capped=len(rows) > MAX_POINTS)


def decimals_for(zoom: int | None) -> int:
    """Decimal places a point needs at a zoom: about a pixel's width, never coarser than 100 m."""
    if zoom is None or zoom >= 16:
        return 6
    return 3 if zoom < 10 else 4 if zoom < 13 else 5
