"""What the scene-rule and dead-letter routes take and give."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from civicgrid.alarms.deadletters import REASONS
from civicgrid.alarms.frigate import CAMERA_NAME
from civicgrid.alarms.models import DeadLetter, SceneRule
from civicgrid.alarms.scenes import SceneRuleInput
from civicgrid.db import MAX_SQL_INTEGER

CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"
DAY_SECONDS = 24 * 3600


def _minute(clock: str | None) -> int | None:
    if clock is None:
        return None
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minute: int | None) -> str | None:
    return None if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


class SceneRuleIn(BaseModel):
    """A whole rule: `camera` (a Frigate camera name) or else `region_code` (an area)."""

    name: str = Field(min_length=1, max_length=80)
    camera: str | None = Field(default=None, pattern=CAMERA_NAME)
    region_code: str | None = Field(default=None, pattern=r"^\d{6,15}$")
    zone: str = Field(pattern=CAMERA_NAME)
    labels: list[str] = Field(default_factory=list, max_length=20)
    min_dwell_seconds: int = Field(default=0, ge=0, le=DAY_SECONDS)
    min_count: int = Field(default=1, ge=1, le=10_000)
    window_start: str | None = Field(default=None, pattern=CLOCK)
    window_end: str | None = Field(default=None, pattern=CLOCK)
    alarm_type: str = Field(min_length=1, max_length=40)
    enabled: bool = True

    @model_validator(mode="after")
    def _labels_are_names(self) -> "SceneRuleIn":
        if any(not 1 <= len(label) <= 40 for label in self.labels):
            raise ValueError("labels are 1-40 characters")
        return self

    def data(self) -> SceneRuleInput:
        return SceneRuleInput(
            name=self.name,
            camera=self.camera,
            region_code=self.region_code,
            zone=self.zone,
            alarm_type=self.alarm_type,
            labels=tuple(self.labels),
            min_dwell_seconds=self.min_dwell_seconds,
            min_count=self.min_count,
            window_start_minute=_minute(self.window_start),
            window_end_minute=_minute(self.window_end),
            enabled=self.enabled,
        )


class SceneRuleOut(BaseModel):
    id: int
    name: str
    camera: str | None
    region_code: str
    zone: str
    labels: list[str]
    min_dwell_seconds: int
    min_count: int
    window_start: str | None
    window_end: str | None
    alarm_type: str
    enabled: bool

    @classmethod
    def of(cls, rule: SceneRule) -> "SceneRuleOut":
        return cls(
            id=rule.id,
            name=rule.name,
            camera=rule.camera,
            region_code=rule.region_code,
            zone=rule.zone,
            labels=list(rule.labels),
            min_dwell_seconds=rule.min_dwell_seconds,
            min_count=rule.min_count,
            window_start=_clock(rule.window_start_minute),
            window_end=_clock(rule.window_end_minute),
            alarm_type=rule.alarm_type,
            enabled=rule.enabled,
        )


class DeadLetterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str
    reason: str
    detail: str
    region_code: str | None
    received_at: datetime
    payload: str
    payload_bytes: int

    @classmethod
    def of(cls, letter: DeadLetter) -> "DeadLetterOut":
        return cls.model_validate(letter)


class DeadLetterFilterIn(BaseModel):
    reason: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_SQL_INTEGER)

    @model_validator(mode="after")
    def _known_reason(self) -> "DeadLetterFilterIn":
        if self.reason is not None and self.reason not in REASONS:
            raise ValueError(f"reason is one of {', '.join(REASONS)}")
        return self
