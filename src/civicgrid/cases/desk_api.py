"""The desk's intake of calls and walk-ins, under /api/v1/desk: hints while typing, filing;
and the grid worker's own case lists for the field app, under /api/v1/field."""

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.cases import desk
from civicgrid.cases.api import case_out
from civicgrid.cases.field_queue import FieldTab, field_cases
from civicgrid.cases.models import DESK_CHANNELS, PRIORITIES
from civicgrid.cases.naming import category_name
from civicgrid.cases.public_api import CandidateOut, candidate_out
from civicgrid.cases.schemas import CaseOut

router = APIRouter(prefix="/api/v1/desk", tags=["desk intake"])
field_router = APIRouter(prefix="/api/v1/field", tags=["field app"])
PHONE_PATTERN = r"^\+?[0-9 -]{5,20}$"


class DraftIn(BaseModel):
    description: str = Field(max_length=5000)
    lng: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    address: str | None = Field(default=None, max_length=255)
    category_code: str | None = Field(default=None, max_length=40)


class CallIn(BaseModel):
    description: str = Field(min_length=1, max_length=5000)
    channel: str = Field(max_length=24, description=", ".join(DESK_CHANNELS))
    caller_name: str | None = Field(default=None, max_length=64)
    caller_phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    address: str | None = Field(default=None, max_length=255)
    lng: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    category_code: str | None = Field(default=None, max_length=40)
    priority: str = Field(default="normal", description=", ".join(PRIORITIES))


class CategoryHintOut(BaseModel):
    code: str
    name: str | None
    confidence: float
    low_confidence: bool


class HintsOut(BaseModel):
    category: CategoryHintOut | None
    alternatives: list[CategoryHintOut]
    duplicates: list[CandidateOut]


@router.post("/hints", response_model=HintsOut)
def post_hints(body: DraftIn, db: DbSession, actor: CurrentActor, locale: Locale) -> HintsOut:
    """The category suggestion and the possible duplicates of a call being typed; stores nothing."""
    found = desk.hints(db, actor, desk.Draft(**body.model_dump()))
    suggestion = found.suggestion
    return HintsOut(
        category=None
        if suggestion is None
        else _category(
            db, suggestion.code, suggestion.confidence, locale, suggestion.low_confidence
        ),
        alternatives=[]
        if suggestion is None
        else [
            _category(db, other.code, other.confidence, locale, True)
            for other in suggestion.alternatives
        ],
        duplicates=[candidate_out(candidate, locale) for candidate in found.duplicates],
    )


@router.post("/cases", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
def post_call(
    body: CallIn,
    request: Request,
    response: Response,
    db: DbSession,
    *,
    actor: CurrentActor,
    locale: Locale,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseOut:
    """File a call or walk-in: the caller is sealed with the case, as every reporter is."""
    case, created = desk.file_call(
        db,
        request.app.state.grid_index,
        call=desk.Call(**body.model_dump()),
        actor=actor,
        idempotency_key=idempotency_key,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return case_out(db, case, locale)


def _category(db: Session, code: str, confidence: float, locale: str, low: bool) -> CategoryHintOut:
    return CategoryHintOut(
        code=code,
        name=category_name(db, code, locale),
        confidence=round(confidence, 3),
        low_confidence=low,
    )


@field_router.get("/cases", response_model=list[CaseOut])
def get_field_cases(
    db: DbSession, actor: CurrentActor, locale: Locale, tab: FieldTab
) -> list[CaseOut]:
    """The worker's tab: `mine`, `to_verify` or `returned` (returned or reopened to them)."""
    return [case_out(db, case, locale) for case in field_cases(db, actor, tab)]
