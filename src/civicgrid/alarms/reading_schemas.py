"""What the readings and threshold routes take and give."""

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from civicgrid.alarms.models import ThresholdRule
from civicgrid.alarms.thresholds import ThresholdInput

MAX_READINGS = 1000
MAX_PAYLOAD_BYTES = 256 * 1024


class ReadingIn(BaseModel):
    """One reading. Unknown fields are dropped, never stored."""

    model_config = ConfigDict(extra="ignore")

    measure: str = Field(min_length=1, max_length=40)
    at: AwareDatetime
    value: float = Field(allow_inf_nan=False)


class ReadingBatchIn(BaseModel):
    """What a device or gateway sends: 1–1000 readings of its own, over HTTP or MQTT."""

    readings: list[ReadingIn] = Field(min_length=1, max_length=MAX_READINGS)


class ReadingsTakenOut(BaseModel):
    """`repeated`: readings already stored (a retry or a redelivery), not stored again."""

    accepted: int
    repeated: int


class ThresholdIn(BaseModel):
    """A rule: `device_kind` or `device_code` (exactly one), measure, comparison, limit,
    duration in seconds, and the alarm type it raises."""

    device_kind: str | None = Field(default=None, max_length=32)
    device_code: str | None = Field(default=None, max_length=20)
    measure: str = Field(min_length=1, max_length=40)
    comparison: str = Field(min_length=1, max_length=2)
    limit: float = Field(allow_inf_nan=False)
    duration_seconds: int = Field(ge=0)
    alarm_type: str = Field(min_length=1, max_length=40)
    enabled: bool = True

    def data(self) -> ThresholdInput:
        return ThresholdInput(**self.model_dump())


class ThresholdOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    device_kind: str | None
    device_code: str | None
    measure: str
    comparison: str
    limit: float
    duration_seconds: int
    alarm_type: str
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: ThresholdRule) -> "ThresholdOut":
        return cls.model_validate(rule)
