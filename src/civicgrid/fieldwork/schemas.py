"""What the field work API takes and returns."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.db import RowId
from civicgrid.fieldwork.assessment import Finding, Item
from civicgrid.fieldwork.flags import FlagView
from civicgrid.fieldwork.models import Cadence, Record, SubjectKind, Task, TaskType
from civicgrid.fieldwork.scoring import Score
from civicgrid.fieldwork.service import RecordInput
from civicgrid.geo.crs import Crs
from civicgrid.i18n import translate
from civicgrid.timeutil import Moment


class TaskTypeOut(BaseModel):
    code: str
    label: str

    @classmethod
    def of(cls, task_type: TaskType, locale: str) -> "TaskTypeOut":
        return cls(code=task_type.value, label=task_label(task_type.value, locale))


def task_label(code: str, locale: str) -> str:
    return translate(f"fieldwork.task.{code}", locale)


class PlanIn(BaseModel):
    worker_id: RowId
    task_type: TaskType
    cadence: Cadence
    times: int = Field(default=1, ge=1, le=366)


class PlanActiveIn(BaseModel):
    active: bool


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    worker_id: int
    task_type: str
    cadence: str
    times: int
    active: bool
    region_code: str
    created_by: str
    created_at: datetime


class TaskOut(BaseModel):
    id: int
    plan_id: int
    worker_id: int
    task_type: str
    label: str
    due_on: date
    subject_kind: str
    subject_id: int | None
    region_code: str
    done: bool
    record_id: int | None

    @classmethod
    def of(cls, task: Task, locale: str) -> "TaskOut":
        return cls(
            id=task.id,
            plan_id=task.plan_id,
            worker_id=task.worker_id,
            task_type=task.task_type,
            label=task_label(task.task_type, locale),
            due_on=task.due_on,
            subject_kind=task.subject_kind,
            subject_id=task.subject_id or None,
            region_code=task.region_code,
            done=task.record_id is not None,
            record_id=task.record_id,
        )


class FindingIn(BaseModel):
    item: Item
    hazard: bool
    note: str = Field(default="", max_length=1000)


class RecordIn(BaseModel):
    task_type: TaskType
    occurred_at: Moment = Field(description="The phone's time; without an offset, Beijing time")
    task_id: RowId | None = None
    lng: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: Crs = Crs.WGS84
    photos: tuple[str, ...] = Field(
        default=(), max_length=9, description="JPEG, PNG or WebP, as base64 or data: URLs"
    )
    note: str = Field(default="", max_length=5000)
    subject_kind: SubjectKind = SubjectKind.GRID
    subject_id: RowId | None = None
    subject_ref: str | None = Field(default=None, min_length=1, max_length=40)
    assessment: list[FindingIn] = Field(default_factory=list, max_length=len(Item))
    open_case: bool = False
    client_id: str | None = Field(default=None, min_length=1, max_length=100)

    def to_input(self) -> RecordInput:
        return RecordInput(
            task_type=self.task_type,
            occurred_at=self.occurred_at,
            task_id=self.task_id,
            lng=self.lng,
            lat=self.lat,
            crs=self.crs,
            photos=self.photos,
            note=self.note,
            subject_kind=self.subject_kind,
            subject_id=self.subject_id,
            subject_ref=self.subject_ref,
            findings=tuple(Finding(f.item, f.hazard, f.note) for f in self.assessment),
            open_case=self.open_case,
        )


class FindingOut(BaseModel):
    item: str
    label: str
    hazard: bool
    note: str


class FlagOut(BaseModel):
    id: int
    record_id: int
    worker: str
    task_type: str
    occurred_at: datetime
    kind: str
    label: str
    distance_m: float | None
    other_record_id: int | None
    region_code: str
    created_at: datetime

    @classmethod
    def of(cls, view: FlagView, locale: str) -> "FlagOut":
        flag = view.flag
        return cls(
            id=flag.id,
            record_id=flag.record_id,
            worker=view.worker,
            task_type=view.record.task_type,
            occurred_at=view.record.occurred_at,
            kind=flag.kind,
            label=translate(f"fieldwork.flag.{flag.kind}", locale),
            distance_m=flag.distance_m,
            other_record_id=flag.other_record_id,
            region_code=flag.region_code,
            created_at=flag.created_at,
        )


class RecordOut(BaseModel):
    id: int
    worker_id: int
    task_type: str
    label: str
    occurred_at: datetime
    received_at: datetime
    lng: float | None
    lat: float | None
    distance_m: float | None
    subject_kind: str
    subject_id: int | None
    subject_ref: str | None
    note: str
    case_number: str | None
    client_id: str | None
    region_code: str
    task_id: int | None = None
    photos: list[str] = Field(default_factory=list, description="sha256 of each photo")
    assessment: list[FindingOut] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, record: Record, locale: str) -> "RecordOut":
        return cls(
            id=record.id,
            worker_id=record.worker_id,
            task_type=record.task_type,
            label=task_label(record.task_type, locale),
            occurred_at=record.occurred_at,
            received_at=record.received_at,
            lng=record.lng,
            lat=record.lat,
            distance_m=record.distance_m,
            subject_kind=record.subject_kind,
            subject_id=record.subject_id,
            subject_ref=record.subject_ref,
            note=record.note,
            case_number=record.case_number,
            client_id=record.client_key,
            region_code=record.region_code,
        )


class WeightsIn(BaseModel):
    weights: dict[str, float] = Field(min_length=1, description="task type or plan_completion")


class WeightOut(BaseModel):
    key: str
    label: str
    weight: float


class ScoreOut(BaseModel):
    worker_id: int
    username: str
    display_name: str
    grid_code: str
    group_code: str
    rank: int
    total: float
    activity: float
    completion: float
    planned: int
    done: int
    flagged: int
    counts: dict[str, int]

    @classmethod
    def of(cls, score: Score) -> "ScoreOut":
        return cls(
            worker_id=score.worker_id,
            username=score.username,
            display_name=score.display_name,
            grid_code=score.grid_code,
            group_code=score.group_code,
            rank=score.rank,
            total=score.total,
            activity=score.activity,
            completion=round(score.completion, 4),
            planned=score.planned,
            done=score.done,
            flagged=score.flagged,
            counts=score.counts,
        )


class DutyIn(BaseModel):
    """The phone's position while its worker is on duty."""

    lng: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Crs = Crs.WGS84
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)


class OnDutyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    display_name: str
    lng: float
    lat: float
    reported_at: datetime
    region_code: str
    distance_m: float | None


class SummonIn(BaseModel):
    case_number: str = Field(min_length=1, max_length=24)
    username: str = Field(min_length=1, max_length=64)
