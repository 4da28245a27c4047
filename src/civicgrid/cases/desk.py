"""The desk's intake of calls and walk-ins: what a hotline operator (12345) or the reception
window sees while typing, and the filing itself through the one intake door.

While the operator types, the draft is not a case yet: it gets the classifier's
category suggestion and the open reports that may be the same matter, judged by
the same duplicate detector a dispatcher's merge uses, on a case that is never
stored. Filing goes through `service.report_case` like every other channel; the
caller's name and phone are sealed there (`cases.reporters`).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.auth.service import require_role
from civicgrid.cases import duplicates, service
from civicgrid.cases.models import DESK_CHANNELS, Case
from civicgrid.cases.roles import DESK_INTAKE
from civicgrid.categories import classifier
from civicgrid.categories.keyword_rules import category_terms
from civicgrid.errors import Invalid
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import utcnow

# Fewer characters say too little to suggest a category or compare wording.
MIN_HINT_CHARS = 4
DUPLICATE_HINTS = 5


@dataclass(frozen=True)
class Draft:
    """What the operator has typed so far."""

    description: str
    lng: float | None = None
    lat: float | None = None
    address: str | None = None
    category_code: str | None = None


@dataclass(frozen=True)
class Hints:
    suggestion: classifier.Suggestion | None
    duplicates: list[duplicates.Candidate]


@dataclass(frozen=True)
class Call:
    """A call or walk-in as the desk files it: who called, from where, about what."""

    description: str
    channel: str
    caller_name: str | None
    caller_phone: str | None
    address: str | None = None
    lng: float | None = None
    lat: float | None = None
    category_code: str | None = None
    priority: str = "normal"


def hints(db: Session, actor: Actor, draft: Draft, *, now: datetime | None = None) -> Hints:
    """The category the classifier suggests and the open reports this one may repeat."""
    require_role(actor, DESK_INTAKE)
    text = draft.description.strip()
    if len(text) < MIN_HINT_CHARS:
        return Hints(suggestion=None, duplicates=[])
    if (draft.lng is None) != (draft.lat is None):
        raise Invalid("case_point_incomplete")
    suggestion = classifier.suggest(text, category_terms(db))
    category = draft.category_code or (suggestion.code if suggestion else None)
    unsaved = Case(
        number="",
        description=text,
        lng=draft.lng,
        lat=draft.lat,
        address=(draft.address or "").strip() or None,
        category_code=category,
        region_code=actor.scope_code or "",
        created_at=now or utcnow(),
    )
    found = duplicates.candidates(db, unsaved, actor, limit=DUPLICATE_HINTS)
    return Hints(suggestion=suggestion, duplicates=found)


def file_call(
    db: Session,
    index: GridIndex,
    *,
    call: Call,
    actor: Actor,
    idempotency_key: str | None = None,
) -> tuple[Case, bool]:
    """Register the call as a case through the intake every channel uses."""
    require_role(actor, DESK_INTAKE)
    if call.channel not in DESK_CHANNELS:
        raise Invalid("desk_channel_unknown", channel=call.channel)
    intake = service.Intake(
        description=call.description,
        channel=call.channel,
        lng=call.lng,
        lat=call.lat,
        address=call.address,
        category_code=call.category_code,
        reporter_phone=call.caller_phone,
        reporter_name=call.caller_name,
        priority=call.priority,
    )
    return service.report_case(
        db, index, intake=intake, actor=actor, idempotency_key=idempotency_key
    )
