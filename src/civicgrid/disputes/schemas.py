"""What the dispute API takes and returns. Phones and ID numbers leave only masked."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.disputes.models import (
    DisputeKind,
    PartyKind,
    PartyRole,
    ReferralTarget,
    SessionMode,
    SessionResult,
    Source,
)
from civicgrid.disputes.states import Status
from civicgrid.timeutil import Moment


class PartyIn(BaseModel):
    kind: PartyKind = PartyKind.PERSON
    role: PartyRole
    name: str = Field(min_length=1, max_length=120)
    phone: str | None = Field(default=None, max_length=32)
    id_number: str | None = Field(default=None, max_length=32)
    credit_code: str | None = Field(default=None, max_length=32)


class DisputeIn(BaseModel):
    kind: DisputeKind
    source: Source
    description: str = Field(min_length=1, max_length=5000)
    case_number: str | None = Field(default=None, max_length=24)
    region_code: str | None = Field(default=None, max_length=15)
    referred_by: str = Field(default="", max_length=120)
    amount: Decimal = Field(default=Decimal(0), ge=0, max_digits=14, decimal_places=2)
    people_involved: int = Field(default=0, ge=0, le=100000)
    parties: list[PartyIn] = Field(min_length=1, max_length=50)


class AssignIn(BaseModel):
    """Name a mediator, or leave it out to let the platform choose (and say why)."""

    mediator: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=2000)


class SessionIn(BaseModel):
    mode: SessionMode
    held_at: Moment
    place: str = Field(min_length=1, max_length=255, description="room, or the meeting link")
    participants: list[str] = Field(default_factory=list, max_length=50)
    record: str = Field(min_length=1, max_length=20000)
    result: SessionResult = SessionResult.CONTINUING


class AgreementIn(BaseModel):
    terms: str = Field(min_length=1, max_length=20000)
    performance_method: str = Field(min_length=1, max_length=2000)
    performance_deadline: date
    note: str = Field(default="", max_length=2000)


class TransitionIn(BaseModel):
    to: Status
    note: str = Field(default="", max_length=2000)
    referral_target: ReferralTarget | None = None


class FollowUpIn(BaseModel):
    visited_on: date
    result: str = Field(min_length=1, max_length=5000)


class MediatorIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    kinds: list[DisputeKind] = Field(min_length=1)
    active: bool = True


class WeightsIn(BaseModel):
    """Weights by factor name, and optionally the alert threshold; other names are refused."""

    weights: dict[str, float] = Field(default_factory=dict)
    alert_threshold: float | None = Field(default=None, ge=0)


class PartyOut(BaseModel):
    kind: str
    role: str
    name: str
    phone: str | None
    id_number: str | None
    credit_code: str | None


class DisputeOut(BaseModel):
    number: str
    status: str
    source: str
    kind: str
    case_number: str | None
    referred_by: str
    region_code: str
    region_name: str | None = None
    amount: Decimal
    people_involved: int
    description: str
    mediator: str | None
    mediator_name: str | None = None
    assignment_reason: str
    referral_target: str | None
    agreement_terms: str | None
    performance_method: str | None
    performance_deadline: date | None
    has_agreement_document: bool
    parties: list[PartyOut]
    created_at: datetime
    closed_at: datetime | None


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    from_status: str | None
    to_status: str
    actor: str
    actor_name: str | None = None
    note: str
    created_at: datetime


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    mode: str
    held_at: datetime
    place: str
    participants: list[str]
    record: str
    result: str
    recorded_by: str


class FollowUpOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    visited_on: date
    result: str
    recorded_by: str


class MediatorOut(BaseModel):
    username: str
    display_name: str
    scope_code: str
    kinds: list[str]
    active: bool
    open_disputes: int


class FactorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    value: float
    weight: float
    contribution: float
    evidence: list[str]


class TriageOut(BaseModel):
    score: float
    threshold: float
    alert: bool
    alerted_at: datetime | None
    factors: list[FactorOut]


class WeightsOut(BaseModel):
    weights: dict[str, float]
    alert_threshold: float
