"""The open cases as map points: `GET /api/v1/cases/points?bbox=&zoom=`."""

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response

from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.cases.points import open_case_points
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
