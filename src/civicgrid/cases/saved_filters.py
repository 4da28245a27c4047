"""Each workbench user's saved queue filters: a name and the query string of the queue.

A saved filter is checked as the queue would read it (`CaseFilterIn`) before it is
stored, so opening one never meets a refusal; it belongs to its user alone.
"""

from urllib.parse import parse_qs, urlencode

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.cases.models import SavedCaseFilter
from civicgrid.cases.schemas import CaseFilterIn
from civicgrid.errors import Forbidden, Invalid, NotFound

MAX_FILTERS_PER_USER = 30
# Parameters that are lists in the queue's query; the others are single values.
REPEATED = frozenset({"state"})
# Paging is where the reader is, not what they filter by.
NOT_SAVED = frozenset({"limit", "offset"})


def saved_filters(db: Session, actor: Actor) -> list[SavedCaseFilter]:
    """The actor's own filters, by name."""
    user_id = _user_id(actor)
    return list(
        db.scalars(
            select(SavedCaseFilter)
            .where(SavedCaseFilter.user_id == user_id)
            .order_by(SavedCaseFilter.name)
        )
    )


def save_filter(db: Session, actor: Actor, *, name: str, query: str) -> SavedCaseFilter:
    """Stores the filter under its name, replacing the actor's filter of that name."""
    user_id = _user_id(actor)
    clean = checked_query(query)
    found = db.scalar(
        select(SavedCaseFilter).where(
            SavedCaseFilter.user_id == user_id, SavedCaseFilter.name == name
        )
    )
    if found is None:
        if len(saved_filters(db, actor)) >= MAX_FILTERS_PER_USER:
            raise Invalid("too_many_saved_filters", limit=MAX_FILTERS_PER_USER)
        found = SavedCaseFilter(user_id=user_id, name=name, query=clean)
        db.add(found)
    else:
        found.query = clean
    db.flush()
    return found


def delete_filter(db: Session, actor: Actor, filter_id: int) -> None:
    user_id = _user_id(actor)
    found = db.get(SavedCaseFilter, filter_id)
    if found is None or found.user_id != user_id:
        raise NotFound("saved_filter_not_found")
    db.delete(found)
    db.flush()


def checked_query(query: str) -> str:
    """The query without paging, refused when the queue would refuse it."""
    values = parse_qs(query.lstrip("?"), keep_blank_values=False)
    kept = {key: value for key, value in values.items() if key not in NOT_SAVED}
    try:
        CaseFilterIn.model_validate(
            {key: value if key in REPEATED else value[-1] for key, value in kept.items()}
        )
    except ValidationError:
        raise Invalid("invalid_saved_filter") from None
    return urlencode([(key, item) for key, items in kept.items() for item in items])


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden("saved_filters_need_an_account")
    return actor.user_id
