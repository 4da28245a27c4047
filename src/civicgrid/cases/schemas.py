"""What the case API takes and returns."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from civicgrid.cases.models import CHANNELS, PRIORITIES, Case, CaseSupervision
from civicgrid.cases.states import Status
from civicgrid.cases.supervision import Raised
from civicgrid.db import MAX_SQL_INTEGER
from civicgrid.geo.crs import Crs


class CaseIn(BaseModel):
    description: str = Field(min_length=1, max_length=5000)
    channel: str | None = Field(
        default=None,
        max_length=24,
        description=", ".join(CHANNELS) + " (unsaid: resident for residents, api for systems)",
    )
    lng: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: Crs = Crs.WGS84
    address: str | None = Field(default=None, max_length=255)
    category_code: str | None = Field(default=None, max_length=40)
    reporter_phone: str | None = Field(default=None, pattern=r"^\+?[0-9-]{5,20}$")
    reporter_name: str | None = Field(default=None, max_length=64)
    priority: str = Field(default="normal", description=", ".join(PRIORITIES))
    photos: tuple[str, ...] = Field(
        default=(), max_length=9, description="JPEG, PNG or WebP, as base64 or data: URLs"
    )
    component_code: str | None = Field(
        default=None, max_length=40, description="GB/T 30428.2 code of the component concerned"
    )


class BatchItemIn(CaseIn):
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=128)


class BatchIn(BaseModel):
    cases: list[BatchItemIn] = Field(min_length=1)


class BatchItemOut(BaseModel):
    index: int
    number: str
    created: bool


class TransitionIn(BaseModel):
    to: Status
    note: str = Field(default="", max_length=2000)
    version: int | None = Field(default=None, ge=0, le=MAX_SQL_INTEGER)
    approve: bool | None = None
    department_code: str | None = Field(default=None, max_length=40)


class CaseFilterIn(BaseModel):
    """The filters of a case queue, as query parameters (`state` may repeat)."""

    state: list[Status] = Field(default_factory=list)
    channel: str | None = Field(default=None, max_length=24)
    category: str | None = Field(default=None, max_length=40)
    unlocated: bool | None = None
    mine: bool = False
    overdue: bool = False
    q: str = Field(default="", max_length=100)
    # The workbench's columns and the cases behind an analysis figure (cases/drill.py): an
    # area inside the reader's (a region code of any level), a department by code, the
    # running stage's deadline window, the order, a risk class, a local month and a
    # hotspot map's hexagon (an H3 index, checked by cases/drill.py).
    region: str | None = Field(default=None, pattern=r"^\d{6}(\d{3}){0,3}$")
    department: str | None = Field(default=None, max_length=40)
    due_after: datetime | None = None
    due_before: datetime | None = None
    sort: Literal["-created", "created", "due", "-due"] = "-created"
    risk_class: str | None = Field(default=None, max_length=40)
    month: str | None = Field(default=None, max_length=7)
    hexagon: str | None = Field(default=None, max_length=20)
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_SQL_INTEGER)


class BulkTransitionIn(BaseModel):
    """One move applied to many cases (bulk accept, bulk dispatch); each succeeds or fails alone."""

    numbers: list[str] = Field(min_length=1, max_length=200)
    to: Status
    note: str = Field(default="", max_length=2000)
    department_code: str | None = Field(default=None, max_length=40)


class BulkItemOut(BaseModel):
    number: str
    moved: bool
    status: str | None = None
    error: str | None = None


class MoveOut(BaseModel):
    """A move the reader may make now, with what the move will ask of them."""

    to: str
    label: str
    needs_note: bool
    needs_account: bool
    needs_department: bool
    needs_decision: bool


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    from_status: str | None
    to_status: str
    actor: str
    note: str
    created_at: datetime
    # The person behind a `user:` label, for pages (the label stays the record).
    actor_name: str = ""


class CaseComponentOut(BaseModel):
    """The city component a case is about, named in the reader's language."""

    code: str
    name: str
    class_code: str
    class_name: str
    status: str
    lng: float
    lat: float
    address: str


class ComponentLinkIn(BaseModel):
    """`code: null` says the case is about no component."""

    code: str | None = Field(max_length=40)


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    status: str
    channel: str
    description: str
    category_code: str | None
    grid_code: str | None
    region_code: str
    lng: float | None
    lat: float | None
    address: str | None
    department_id: int | None
    priority: str
    category_confidence: float | None
    category_source: str
    routing_rule_id: int | None
    routed_department_id: int | None
    handling_region_code: str | None
    grid_may_handle: bool
    stage: str | None
    stage_due_at: datetime | None
    merged_into_id: int | None
    reopen_count: int
    version: int
    created_at: datetime
    updated_at: datetime
    routing_explanation: str = ""
    # Names for the codes above on the one-case read, for its page (cases.naming).
    category_name: str | None = None
    place_name: str | None = None
    # green / yellow (80 % of the stage's time used) / red (overdue); null when no clock runs.
    sla_light: str | None = None
    component: CaseComponentOut | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unlocated(self) -> bool:
        return self.grid_code is None


class RoutingRuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    target_level: str = Field(max_length=16)
    category_prefix: str = Field(default="", max_length=40)
    region_prefix: str = Field(default="", max_length=15)
    channel: str = Field(default="", max_length=24)
    priority: str = Field(default="", max_length=16)
    department_kind: str | None = Field(default=None, max_length=40)
    grid_may_handle: bool = False
    active: bool = True
    position: int | None = Field(default=None, ge=1)


class RoutingRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    name: str
    target_level: str
    category_prefix: str
    region_prefix: str
    channel: str
    priority: str
    department_kind: str | None
    grid_may_handle: bool
    active: bool


class SupervisionOut(BaseModel):
    id: int
    kind: str
    case_number: str
    case_status: str
    stage: str
    stage_started_at: datetime
    stage_due_at: datetime | None
    region_code: str
    actor: str
    created_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, supervision: CaseSupervision, case: Case) -> "SupervisionOut":
        """The case's deadline is shown only while the supervised stage still runs."""
        running = case.stage == supervision.stage and case.stage_started_at == (
            supervision.stage_started_at
        )
        return cls(
            id=supervision.id,
            kind=supervision.kind,
            case_number=case.number,
            case_status=case.status,
            stage=supervision.stage,
            stage_started_at=supervision.stage_started_at,
            stage_due_at=case.stage_due_at if running else None,
            region_code=supervision.region_code,
            actor=supervision.actor,
            created_at=supervision.created_at,
            resolved_at=supervision.resolved_at,
        )


class CaseSupervisionOut(BaseModel):
    """An urge or 督办 on one case: raised by whom (`worker:…` is the SLA clock), addressed
    to which centre or department, and the deadline it presses while its stage runs."""

    kind: str
    stage: str
    raised_by: str
    addressed_to: str
    note: str
    created_at: datetime
    deadline: datetime | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, raised: Raised) -> "CaseSupervisionOut":
        row = raised.supervision
        return cls(
            kind=row.kind,
            stage=row.stage,
            raised_by=row.actor,
            addressed_to=raised.addressed_to,
            note=row.note,
            created_at=row.created_at,
            deadline=raised.deadline,
            resolved_at=row.resolved_at,
        )


class RoutingSampleIn(BaseModel):
    """A sample case for the routing preview."""

    region_code: str = Field(min_length=6, max_length=15, pattern=r"^\d+$")
    channel: str = Field(default="resident", max_length=24)
    category_code: str | None = Field(default=None, max_length=40)
    priority: str = Field(default="normal", max_length=16)


class RoutingPreviewOut(BaseModel):
    """The rule met (none: the category's default department or the street centre) and
    the unit that would handle the case."""

    rule: RoutingRuleOut | None
    handling_region_code: str
    handling_region_name: str
    department_code: str | None
    department_name: str | None
    grid_may_handle: bool
    reason: str
