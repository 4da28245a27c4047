"""Duplicates, merging, and residents' feedback and tracking, under /api/v1/cases.

Mounted before the main cases router so that /api/v1/cases/track is not read
as the case number "track". Tracking and rating are open to anonymous callers
who give the reported phone; every such try is counted per client address and
per case number, so phones cannot be guessed (see civicgrid/throttle.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from civicgrid.auth.deps import CurrentActor, CurrentVisitor, DbSession, Locale, OptionalActor
from civicgrid.cases import duplicates, feedback, naming, service
from civicgrid.cases.api import case_out
from civicgrid.cases.schemas import CaseOut
from civicgrid.i18n import translate
from civicgrid.throttle import Visitor

router = APIRouter(prefix="/api/v1/cases", tags=["case feedback and duplicates"])
PHONE = Field(default=None, max_length=32)


class CandidateOut(BaseModel):
    number: str
    status: str
    description: str
    address: str | None
    category_code: str | None
    created_at: datetime
    score: float
    similarity: float
    distance_m: float | None
    hours_apart: float
    reasons: list[str]


class MergeIn(BaseModel):
    into: str = Field(min_length=1, max_length=24)
    note: str = Field(default="", max_length=2000)


class RatingIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)
    phone: str | None = PHONE


class CallbackIn(BaseModel):
    reached: bool
    rating: int | None = Field(default=None, ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    rating: int | None
    reached: bool | None
    comment: str
    actor: str
    created_at: datetime


class OutcomeOut(BaseModel):
    feedback: FeedbackOut
    status: str
    reopened: bool
    reopen_count: int


class StepOut(BaseModel):
    status: str
    status_label: str
    at: datetime


class TrackOut(BaseModel):
    number: str
    status: str
    status_label: str
    category_name: str | None
    created_at: datetime
    updated_at: datetime
    merged_into: str | None
    timeline: list[StepOut]


@router.get("/track", response_model=TrackOut)
def get_track(
    db: DbSession,
    actor: OptionalActor,
    locale: Locale,
    *,
    visitor: CurrentVisitor,
    number: str = Query(min_length=1, max_length=24),
    phone: str | None = Query(default=None, max_length=32),
) -> TrackOut:
    """A reporter follows their case by its number and the phone they reported with."""
    with _reporter_try(visitor, number):
        found = feedback.track(db, number=number, phone=phone, actor=actor)
    shown = found.case
    return TrackOut(
        number=found.number,
        status=shown.status,
        status_label=_status_label(shown.status, locale),
        category_name=naming.category_name(db, shown.category_code, locale),
        created_at=shown.created_at,
        updated_at=shown.updated_at,
        merged_into=found.merged_into,
        timeline=[
            StepOut(status=step.status, status_label=_status_label(step.status, locale), at=step.at)
            for step in found.timeline
        ],
    )


@router.get("/{number}/duplicates", response_model=list[CandidateOut])
def get_duplicates(
    number: str, db: DbSession, actor: CurrentActor, locale: Locale
) -> list[CandidateOut]:
    case = service.visible_case(db, actor, number)
    return [candidate_out(found, locale) for found in duplicates.candidates(db, case, actor)]


@router.post("/{number}/merge", response_model=CaseOut)
def post_merge(
    number: str, body: MergeIn, db: DbSession, actor: CurrentActor, locale: Locale
) -> CaseOut:
    case = service.visible_case(db, actor, number)
    into = service.visible_case(db, actor, body.into)
    merged = duplicates.merge(db, case=case, into=into, actor=actor, note=body.note)
    db.commit()
    return case_out(db, merged, locale)


@router.post("/{number}/rating", response_model=OutcomeOut)
def post_rating(
    number: str, body: RatingIn, db: DbSession, actor: OptionalActor, visitor: CurrentVisitor
) -> OutcomeOut:
    """Anonymous with the reported phone, or signed in as the reporting resident."""
    with _reporter_try(visitor, number):
        outcome = feedback.rate(
            db,
            number=number,
            rating=body.rating,
            comment=body.comment,
            phone=body.phone,
            actor=actor,
        )
    db.commit()
    return _outcome_out(outcome)


@contextmanager
def _reporter_try(visitor: Visitor, number: str) -> Iterator[None]:
    """One try at proving a case is the caller's, counted per address and per case number.

    A case number is guessable and a phone has few unknown digits, so both keys
    count; the reporter getting through wipes the case's count, so they are not
    shut out by someone else's guessing once they have shown the phone.
    """
    budgets = visitor.budgets
    visitor.throttle.spend(
        (budgets.track_per_address, visitor.address), (budgets.track_per_case, number)
    )
    yield
    visitor.throttle.forgive(budgets.track_per_case, number)


@router.post("/{number}/callbacks", response_model=OutcomeOut, status_code=status.HTTP_201_CREATED)
def post_callback(number: str, body: CallbackIn, db: DbSession, actor: CurrentActor) -> OutcomeOut:
    case = service.visible_case(db, actor, number)
    outcome = feedback.record_callback(
        db,
        case=case,
        actor=actor,
        reached=body.reached,
        rating=body.rating,
        comment=body.comment,
    )
    db.commit()
    return _outcome_out(outcome)


@router.get("/{number}/feedback", response_model=list[FeedbackOut])
def get_feedback(number: str, db: DbSession, actor: CurrentActor) -> list[FeedbackOut]:
    case = service.visible_case(db, actor, number)
    rows = feedback.list_feedback(db, case=case, actor=actor)
    return [FeedbackOut.model_validate(row) for row in rows]


def candidate_out(found: duplicates.Candidate, locale: str) -> CandidateOut:
    case = found.case
    return CandidateOut(
        number=case.number,
        status=case.status,
        description=case.description,
        address=case.address,
        category_code=case.category_code,
        created_at=case.created_at,
        score=found.score,
        similarity=found.similarity,
        distance_m=found.distance_m,
        hours_apart=found.hours_apart,
        reasons=[
            translate(f"duplicate.reason.{reason.code}", locale, **reason.params)
            for reason in found.reasons
        ],
    )


def _outcome_out(outcome: feedback.Outcome) -> OutcomeOut:
    return OutcomeOut(
        feedback=FeedbackOut.model_validate(outcome.feedback),
        status=outcome.case.status,
        reopened=outcome.reopened,
        reopen_count=outcome.case.reopen_count,
    )


def _status_label(value: str, locale: str) -> str:
    return translate(f"case.status.{value}", locale)
