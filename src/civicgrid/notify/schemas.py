"""What the inbox and webhook endpoints take and return."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


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
