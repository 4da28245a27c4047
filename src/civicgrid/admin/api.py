"""HTTP routes of administration oversight."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from civicgrid.admin import service
from civicgrid.admin.schemas import ChangeFilterIn, ChangeOut
from civicgrid.auth.deps import CurrentActor, DbSession

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("/audit", response_model=list[ChangeOut])
def get_audit(
    response: Response,
    db: DbSession,
    actor: CurrentActor,
    asked: Annotated[ChangeFilterIn, Query()],
) -> list[ChangeOut]:
    """Changes to accounts, rules, categories, weights, resources and keys in the caller's
    area, newest first; X-Total-Count gives the full count."""
    query = service.ChangeQuery(
        kind=asked.kind, actor=asked.actor, since=asked.since, until=asked.until
    )
    rows, total = service.list_changes(db, actor, query, limit=asked.limit, offset=asked.offset)
    response.headers["X-Total-Count"] = str(total)
    return [ChangeOut.of(row) for row in rows]
