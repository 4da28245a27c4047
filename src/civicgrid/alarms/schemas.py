"""What the device and alarm routes take and give."""

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.device_files import IssuedKey
from civicgrid.alarms.intake import AlarmReport
from civicgrid.alarms.models import Alarm, Device, DeviceStatus
from civicgrid.alarms.service import DeviceChanges, DeviceInput, Spot
from civicgrid.db import MAX_SQL_INTEGER
from civicgrid.geo.crs import Crs
from civicgrid.registry.import_api import ImportReportOut
from civicgrid.registry.importing.report import ImportReport

MAX_ATTRIBUTES = 50
MAX_BATCH = 100


class SpotIn(BaseModel):
    lng: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Crs = Crs.WGS84

    def spot(self) -> Spot:
        return Spot(lng=self.lng, lat=self.lat, crs=self.crs)


class DeviceIn(SpotIn):
    code: str = Field(min_length=1, max_length=40)
    kind: DeviceKind
    name: str = Field(min_length=1, max_length=120)
    address: str = Field(default="", max_length=255)
    department_code: str | None = Field(default=None, max_length=40)

    def data(self) -> DeviceInput:
        return DeviceInput(
            code=self.code,
            kind=self.kind,
            name=self.name,
            spot=self.spot(),
            address=self.address,
            department_code=self.department_code,
        )


class DeviceChangesIn(BaseModel):
    """Only the fields sent change; `department_code: ""` clears the owner department."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    location: SpotIn | None = None
    address: str | None = Field(default=None, max_length=255)
    department_code: str | None = Field(default=None, max_length=40)
    enabled: bool | None = None

    def changes(self) -> DeviceChanges:
        return DeviceChanges(
            name=self.name,
            spot=self.location.spot() if self.location else None,
            address=self.address,
            department_code=self.department_code,
            enabled=self.enabled,
        )


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: str
    name: str
    lng: float
    lat: float
    region_code: str
    address: str
    department_id: int | None
    status: str
    last_heartbeat_at: datetime | None
    created_at: datetime


class DeviceKeyOut(BaseModel):
    """The device with its key: shown once, at registration or rotation, never again."""

    device: DeviceOut
    key: str

    @classmethod
    def of(cls, device: Device, key: str) -> "DeviceKeyOut":
        return cls(device=DeviceOut.model_validate(device), key=key)


class IssuedKeyOut(BaseModel):
    """A new device's key, in the import's answer only: the installer configures it once."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    address: str
    key: str


class DeviceImportOut(ImportReportOut):
    """The row report of a device file, and the keys of the devices it registered."""

    keys: list[IssuedKeyOut]

    @classmethod
    def of_import(
        cls, report: ImportReport, keys: list[IssuedKey], locale: str
    ) -> "DeviceImportOut":
        return cls(
            **ImportReportOut.of(report, locale).model_dump(),
            keys=[IssuedKeyOut.model_validate(key) for key in keys],
        )


class DeviceFilterIn(BaseModel):
    status: DeviceStatus | None = None
    kind: DeviceKind | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_SQL_INTEGER)


class AlarmIn(BaseModel):
    """One alarm, the same over HTTP and MQTT. Unknown fields are dropped, never stored."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
    type: str = Field(min_length=1, max_length=40)
    occurred_at: AwareDatetime | None = None
    detail: str = Field(default="", max_length=500)
    value: float | None = Field(default=None, allow_inf_nan=False)
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("detail")
    @classmethod
    def _storable_text(cls, value: str) -> str:
        # Refused here, before any case is opened: PostgreSQL text cannot hold a NUL.
        if "\x00" in value:
            raise ValueError("NUL character")
        return value

    @field_validator("attributes")
    @classmethod
    def _few_attributes(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_ATTRIBUTES:
            raise ValueError(f"at most {MAX_ATTRIBUTES} attributes")
        return value

    def report(self) -> AlarmReport:
        return AlarmReport(
            event_id=self.event_id,
            alarm_type=self.type,
            occurred_at=self.occurred_at,
            detail=self.detail,
            value=self.value,
            attributes=self.attributes,
        )


class AlarmBatchIn(BaseModel):
    alarms: list[AlarmIn] = Field(min_length=1, max_length=MAX_BATCH)


class AlarmOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: str
    device_code: str
    type: str
    region_code: str
    occurred_at: datetime
    received_at: datetime
    detail: str
    value: float | None
    attributes: dict[str, Any]
    outcome: str
    case_number: str | None

    @classmethod
    def of(cls, alarm: Alarm, device_code: str) -> "AlarmOut":
        return cls(
            event_id=alarm.event_id,
            device_code=device_code,
            type=alarm.alarm_type,
            region_code=alarm.region_code,
            occurred_at=alarm.occurred_at,
            received_at=alarm.received_at,
            detail=alarm.detail,
            value=alarm.value,
            attributes=alarm.attributes,
            outcome=alarm.outcome,
            case_number=alarm.case_number,
        )


class TakenOut(AlarmOut):
    """An alarm as intake answers it: `new` is False when the event id was seen before."""

    new: bool


class AlarmFilterIn(BaseModel):
    """`since` is a time with its zone (`2026-12-07T08:00:00+08:00`); one without is a 422."""

    device: str | None = Field(default=None, max_length=20)
    type: str | None = Field(default=None, max_length=40)
    since: AwareDatetime | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_SQL_INTEGER)
