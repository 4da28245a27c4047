"""Field work tables: plans, the daily tasks they generate, records, flags and weights.

Every table that names a place carries `region_code`, the worker's grid (their
scope code), the column the one jurisdiction filter reads.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class TaskType(StrEnum):
    """The twelve kinds of work a grid worker records (网格员十二项任务)."""

    CHECK_IN = "check_in"
    HOUSEHOLD_VISIT = "household_visit"
    OPINION_COLLECTION = "opinion_collection"
    KEY_PLACE_PATROL = "key_place_patrol"
    FLOATING_POPULATION = "floating_population"
    RENTAL_HOUSING = "rental_housing"
    SECURITY_HAZARD = "security_hazard"
    SPECIAL_GROUPS_SERVICE = "special_groups_service"
    DISPUTE_MEDIATION = "dispute_mediation"
    EVENT_REPORT = "event_report"
    ANTI_CRIME_PUBLICITY = "anti_crime_publicity"
    SAFETY_PUBLICITY = "safety_publicity"


class Cadence(StrEnum):
    """How often a plan's work falls due; `place_schedule` follows each key place's own interval."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    YEARLY = "yearly"
    PLACE_SCHEDULE = "place_schedule"


class SubjectKind(StrEnum):
    """What a task or a record is about; `grid` means the worker's grid as a whole."""

    GRID = "grid"
    HOUSEHOLD = "household"
    KEY_PLACE = "key_place"
    RESIDENT = "resident"
    CASE = "case"
    DISPUTE = "dispute"


class FlagKind(StrEnum):
    FAR_FROM_GRID = "far_from_grid"
    PHOTO_REUSED = "photo_reused"
    IMPOSSIBLE_TRAVEL = "impossible_travel"


class Plan(Base):
    """Standing work for one worker: a task type, on a cadence, over a set of targets."""

    __tablename__ = "fieldwork_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    task_type: Mapped[str] = mapped_column(String(32))
    cadence: Mapped[str] = mapped_column(String(16))
    times: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Task(Base):
    """One piece of planned work due on one day; generating a day twice adds nothing."""

    __tablename__ = "fieldwork_tasks"
    __table_args__ = (
        UniqueConstraint("plan_id", "due_on", "subject_kind", "subject_id"),
        # The worker's day is the common read.
        Index("ix_fieldwork_tasks_worker_due", "worker_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("fieldwork_plans.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    task_type: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date)
    # 0 when the subject is the grid itself: NULL would escape the unique constraint.
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer, default=0)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("fieldwork_records.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Record(Base):
    """What a worker did, where and when: the history every score is computed from."""

    __tablename__ = "fieldwork_records"
    __table_args__ = (UniqueConstraint("worker_id", "client_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    task_type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    # Metres from the worker's area, when a point was given; 0 inside it.
    distance_m: Mapped[float | None] = mapped_column(Float)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    subject_ref: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    case_number: Mapped[str | None] = mapped_column(String(32))
    client_key: Mapped[str | None] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(15), index=True)


class RecordPhoto(Base):
    """A photo of a record, stored once by content; the hash finds a photo used twice."""

    __tablename__ = "fieldwork_record_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("fieldwork_records.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))


class AssessmentFinding(Base):
    """One item of a household safety assessment (家庭安全风险评估)."""

    __tablename__ = "fieldwork_findings"
    __table_args__ = (UniqueConstraint("record_id", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("fieldwork_records.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(32))
    hazard: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")


class Flag(Base):
    """A reason to doubt a record; a flagged record is not counted in the month's score."""

    __tablename__ = "fieldwork_flags"
    __table_args__ = (UniqueConstraint("record_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("fieldwork_records.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    distance_m: Mapped[float | None] = mapped_column(Float)
    other_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("fieldwork_records.id", ondelete="SET NULL")
    )
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Weight(Base):
    """Points per counted record of a task type (or for full plan completion), set by the admin."""

    __tablename__ = "fieldwork_weights"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DutyPosition(Base):
    """Where an on-duty grid worker last was. The row exists only while they are on duty:
    going off duty deletes it, so nobody's position is kept after their shift."""

    __tablename__ = "fieldwork_duty_positions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    on_duty_since: Mapped[datetime] = mapped_column(UtcDateTime())
    lng: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
