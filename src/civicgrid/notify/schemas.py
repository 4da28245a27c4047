"""What the inbox, webhook and supervision endpoints take and return."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.cases.models import Case, CaseSupervision


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event: str
    title: str
    body: str
    case_id: int | None
    created_at: datetime
    read_at: datetime | None


class WebhookIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    url: str = Field(min_length=1, max_length=500)
    events: list[str] = Field(
        default_factory=list, max_length=40, description="Empty means every event."
    )
    region_code: str | None = Field(
        default=None, max_length=15, description="Defaults to the caller's own jurisdiction."
    )


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    url: str
    events: list[str]
    region_code: str
    active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    """The signing secret, shown this once: it is not readable afterwards."""

    secret: str


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
