"""Each workbench user's saved queue filters: `/api/v1/cases/filters`.

Mounted before the cases router, whose `/{number}` would otherwise take `/filters`.
"""

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.cases.saved_filters import delete_filter, save_filter, saved_filters
from civicgrid.db import RowId

router = APIRouter(prefix="/api/v1/cases/filters", tags=["cases"])


class SavedFilterIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    # The queue's query string, as the workbench sends it to GET /api/v1/cases.
    query: str = Field(default="", max_length=1000)


class SavedFilterOut(BaseModel):
    id: int
    name: str
    query: str


@router.get("", response_model=list[SavedFilterOut])
def get_saved_filters(db: DbSession, actor: CurrentActor) -> list[SavedFilterOut]:
    """The caller's own saved filters, by name."""
    return [SavedFilterOut(id=f.id, name=f.name, query=f.query) for f in saved_filters(db, actor)]


@router.post("", response_model=SavedFilterOut, status_code=status.HTTP_201_CREATED)
def post_saved_filter(body: SavedFilterIn, db: DbSession, actor: CurrentActor) -> SavedFilterOut:
    """Saves (or replaces, by name) one of the caller's filters."""
    saved = save_filter(db, actor, name=body.name.strip(), query=body.query)
    db.commit()
    return SavedFilterOut(id=saved.id, name=saved.name, query=saved.query)


@router.delete("/{filter_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_saved_filter(filter_id: RowId, db: DbSession, actor: CurrentActor) -> Response:
    delete_filter(db, actor, filter_id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
