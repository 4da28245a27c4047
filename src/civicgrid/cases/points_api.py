"""Case routes beside the queue: map points (`/points`) and the queue's Excel file (`/export.xlsx`).

Mounted before the cases router, whose `/{number}` would otherwise take these paths.
"""

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.cases import queue
from civicgrid.cases.points import open_case_points
from civicgrid.cases.queue import MAX_EXPORT_ROWS, queue_query, workbook
from civicgrid.cases.schemas import CaseFilterIn
from civicgrid.downloads import attachment
from civicgrid.geo.service import parse_bbox

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@router.get("/points", response_class=Response)
def get_case_points(
    db: DbSession,
    actor: CurrentActor,
    bbox: Annotated[str | None, Query(max_length=120)] = None,
    zoom: Annotated[int | None, Query(ge=0, le=24)] = None,
) -> Response:
    """`{"fields", "points": [[number, lng, lat, "open"|"overdue"]…], "capped"}`, WGS-84.

    Only the caller's readable cases (the jurisdiction filter and the role's rule); the
    zoom rounds positions to what it can show, which keeps a city's 20,000 points small.
    """
    points = open_case_points(db, actor, bbox=parse_bbox(bbox), zoom=zoom)
    body = {
        "fields": ["number", "lng", "lat", "state"],
        "points": points.rows,
        "capped": points.capped,
    }
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        media_type="application/json",
    )


@router.get("/export.xlsx", response_class=Response)
def get_queue_workbook(
    db: DbSession, actor: CurrentActor, locale: Locale, asked: Annotated[CaseFilterIn, Query()]
) -> Response:
    """The queue's rows (same filters, same jurisdiction, up to 20,000) as an Excel file."""
    query = queue_query(db, actor, asked)
    cases, _ = queue.list_cases(db, actor, query, limit=MAX_EXPORT_ROWS)
    return attachment(workbook(db, cases, locale), "cases.xlsx")
