"""Cases and their append-only, hash-chained history."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow

RESIDENT_CHANNEL = "resident"
API_CHANNEL = "api"
CHANNELS = (
    RESIDENT_CHANNEL,
    "open311",
    "grid_worker",
    "hotline_12345",
    "diversion_110",
    "petition",
    "device",
    "inspection",
    API_CHANNEL,
    "walk_in",
)
# The channels a dispatcher registers by hand at the desk (calls, referrals, letters, patrols,
# and the reception window's walk-ins).
DESK_CHANNELS = ("hotline_12345", "walk_in", "diversion_110", "petition", "inspection")
PRIORITIES = ("normal", "urgent")


class Case(Base):
    """One located, time-limited matter (事件). Its status changes only in `workflow`."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    channel: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(255))
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    grid_code: Mapped[str | None] = mapped_column(
        String(15), ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    # The reporter's phone and name, sealed (cases/reporters.py); the index finds the phone.
    reporter_phone_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter_phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(16), index=True)
    reporter_name_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="RESTRICT"), index=True
    )
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    category_confidence: Mapped[float | None] = mapped_column(Float)
    category_source: Mapped[str] = mapped_column(String(16), default="none")
    routing_rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_rules.id", ondelete="SET NULL")
    )
    routing_reason: Mapped[str] = mapped_column(Text, default="")
    routed_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT")
    )
    handling_region_code: Mapped[str | None] = mapped_column(String(15), index=True)
    grid_may_handle: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    stage: Mapped[str | None] = mapped_column(String(24))
    stage_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stage_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=0)

    # Duplicate detection looks for reports in a time window and a bounding box around a point.
    __table_args__ = (Index("ix_cases_lng_lat", "lng", "lat"),)


class CaseComponent(Base):
    """The city component (部件) a case is about, named at intake or by staff; one at most.

    A table of its own rather than a column of cases: adding a constrained column to
    cases would rebuild that table on SQLite, which its referencing rows forbid.
    """

    __tablename__ = "case_components"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("components.id", ondelete="RESTRICT"), index=True
    )


class CaseNumberCounter(Base):
    """The last sequence handed out per district and local day (the first 14 digits of a number).

    Raised by one upsert that returns the new value, so concurrent reports queue on
    this row for a moment instead of colliding on a number and trying again.
    """

    __tablename__ = "case_number_counters"

    prefix: Mapped[str] = mapped_column(String(14), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class CaseAction(Base):
    """One step of a case's history. Rows are never updated or deleted.

    Each row's hash covers its content and the previous row's hash, so an
    edited or removed row breaks the chain (`civicgrid audit verify`).
    """

    __tablename__ = "case_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    stage_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("case_id", "sequence", name="uq_case_actions_sequence"),
        # The command centre's cases closed today and per day of its trend (analytics.dashboard)
        # find their few rows here instead of reading the whole history.
        Index("ix_case_actions_to_status_created_at", "to_status", "created_at"),
    )


class RoutingRule(Base):
    """One row of the routing table (分级分类); the first active match by `position` wins.

    Blank matchers match anything. The target is a department of `department_kind`
    at `target_level`, or, without a kind, the centre of that level.
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(120))
    category_prefix: Mapped[str] = mapped_column(String(40), default="")
    region_prefix: Mapped[str] = mapped_column(String(15), default="")
    channel: Mapped[str] = mapped_column(String(24), default="")
    priority: Mapped[str] = mapped_column(String(16), default="")
    target_level: Mapped[str] = mapped_column(String(16))
    department_kind: Mapped[str | None] = mapped_column(String(40))
    grid_may_handle: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CasePhoto(Base):
    """A checked, EXIF-stripped image kept under the data directory by its SHA-256."""

    __tablename__ = "case_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("case_id", "purpose", "sha256", name="uq_case_photos_content"),
    )


class CaseFeedback(Base):
    """A resident's rating after closing, or a call-back (回访) recorded by staff."""

    __tablename__ = "case_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    rating: Mapped[int | None] = mapped_column(Integer)
    reached: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CaseSupervision(Base):
    """An urge (催办) or a supervision (督办) raised on one stage of a case, at most once.

    The unique key on (case, kind, stage, stage start) is what keeps two workers
    from raising the same one twice.
    """

    __tablename__ = "case_supervisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(24))
    stage_started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint(
            "case_id", "kind", "stage", "stage_started_at", name="uq_case_supervisions_once"
        ),
    )


class CaseHolding(Base):
    """A department that holds or held a case: written when a case is dispatched to it.

    A department handler reads the cases its department holds now and the ones it
    held before (a case sent back or on to another department stays readable to
    the first, which answered for part of it).
    """

    __tablename__ = "case_holdings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    since: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("case_id", "department_id", name="uq_case_holdings_department"),
    )


class SavedCaseFilter(Base):
    """A workbench user's named queue filter: the query string of `GET /api/v1/cases`.

    Each user's own (read and written only as that user); a filter names no case, so it
    needs no jurisdiction of its own: the queue it opens is filtered by `readable` anyway.
    """

    __tablename__ = "saved_case_filters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "name"),)
