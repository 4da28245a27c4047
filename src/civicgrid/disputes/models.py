"""Dispute tables (矛盾纠纷多元化解): disputes, parties, history, sessions, follow-ups,
mediator profiles, triage settings and the daily number counters.

Every dispute carries `region_code` (the grid, or the community when no grid):
the column the one jurisdiction filter reads. A party's phone and ID number
exist only as AES-GCM tokens bound to the party's `uid`, with blind indexes for
exact matching (repeat reports); no party column holds sex, age, ethnicity or
religion.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class DisputeKind(StrEnum):
    MARRIAGE_FAMILY = "marriage_family"
    NEIGHBOUR = "neighbour"
    PROPERTY_MANAGEMENT = "property_management"
    LABOUR = "labour"
    LAND_FOREST = "land_forest"
    EXPROPRIATION = "expropriation"
    MEDICAL = "medical"
    TRAFFIC_ACCIDENT = "traffic_accident"
    CONSUMER = "consumer"
    LENDING = "lending"
    OTHER = "other"


class Source(StrEnum):
    CASE = "case"
    WALK_IN = "walk_in"
    GRID_WORKER = "grid_worker"
    REFERRAL = "referral"


class PartyKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class PartyRole(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"
    THIRD_PARTY = "third_party"


class SessionMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class SessionResult(StrEnum):
    CONTINUING = "continuing"
    FAILED = "failed"


class ReferralTarget(StrEnum):
    COURT = "court"
    ARBITRATION = "arbitration"
    LETTERS_AND_VISITS = "letters_and_visits"


class Dispute(Base):
    """One dispute case. Its status changes only in `disputes.workflow`."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    status: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    case_number: Mapped[str | None] = mapped_column(
        ForeignKey("cases.number", ondelete="RESTRICT"), index=True
    )
    referred_by: Mapped[str] = mapped_column(String(120), default="")
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    people_involved: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    mediator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    assignment_reason: Mapped[str] = mapped_column(Text, default="")
    referral_target: Mapped[str | None] = mapped_column(String(24))
    agreement_terms: Mapped[str | None] = mapped_column(Text)
    performance_method: Mapped[str | None] = mapped_column(Text)
    performance_deadline: Mapped[date | None] = mapped_column(Date)
    agreement_file: Mapped[str | None] = mapped_column(String(255))
    alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=0)


class DisputeParty(Base):
    """A person or organisation in a dispute, with its role; contact data sealed."""

    __tablename__ = "dispute_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    phone_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(16), index=True)
    document_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_index: Mapped[bytes | None] = mapped_column(LargeBinary(16), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18))


class DisputeEvent(Base):
    """One step of a dispute's history. Rows are never updated or deleted."""

    __tablename__ = "dispute_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("dispute_id", "sequence", name="uq_dispute_events_sequence"),
    )


class MediationSession(Base):
    """A mediation session (调解记录), in person or online."""

    __tablename__ = "mediation_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    mode: Mapped[str] = mapped_column(String(16))
    held_at: Mapped[datetime] = mapped_column(UtcDateTime())
    place: Mapped[str] = mapped_column(String(255))
    participants: Mapped[list[Any]] = mapped_column(JSON, default=list)
    record: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class FollowUpVisit(Base):
    """A return visit (回访) after an agreement: was it performed?"""

    __tablename__ = "dispute_follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("disputes.id", ondelete="CASCADE"), index=True
    )
    visited_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class MediatorProfile(Base):
    """Which dispute types a mediator takes, and whether they take new ones at all."""

    __tablename__ = "mediator_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    kinds: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class TriageSetting(Base):
    """One weight of the triage score, or its alert threshold: data an administrator sets."""

    __tablename__ = "dispute_triage_settings"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class DisputeNumberCounter(Base):
    """The last sequence handed out per district and local day."""

    __tablename__ = "dispute_number_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
