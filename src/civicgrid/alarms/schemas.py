"""What the device and alarm routes take and give."""

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.device_files import IssuedKey
from civicgrid.alarms.frigate import CAMERA_NAME
from civicgrid.alarms.handling import DismissReason
from civicgrid.alarms.health import DistrictHealth
from civicgrid.alarms.intake import AlarmReport
from civicgrid.alarms.models import Alarm, Device, DeviceStatus, SosCall
from civicgrid.alarms.nearby import NearCamera
from civicgrid.alarms.rules import AlarmRule, RuleChange
from civicgrid.alarms.service import DeviceChanges, DeviceInput, Spot
from civicgrid.alarms.sos import Press
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
    frigate_camera: str | None = Field(default=None, pattern=CAMERA_NAME)
    # Longer than a stored URL may be, so the service answers "too long" in words.
    stream_url: str = Field(default="", max_length=4000)

    def data(self) -> DeviceInput:
        return DeviceInput(
            code=self.code,
            kind=self.kind,
            name=self.name,
            spot=self.spot(),
            address=self.address,
            department_code=self.department_code,
            frigate_camera=self.frigate_camera,
            stream_url=self.stream_url,
        )


class DeviceChangesIn(BaseModel):
    """Only the fields sent change; `department_code: ""` clears the owner department,
    `stream_url: ""` the live view."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    location: SpotIn | None = None
    address: str | None = Field(default=None, max_length=255)
    department_code: str | None = Field(default=None, max_length=40)
    enabled: bool | None = None
    frigate_camera: str | None = Field(default=None, pattern=r"^$|" + CAMERA_NAME)
    stream_url: str | None = Field(default=None, max_length=4000)

    def changes(self) -> DeviceChanges:
        return DeviceChanges(
            name=self.name,
            spot=self.location.spot() if self.location else None,
            address=self.address,
            department_code=self.department_code,
            enabled=self.enabled,
            frigate_camera=self.frigate_camera,
            stream_url=self.stream_url,
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
    frigate_camera: str | None
    stream_url: str | None


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
    # "off": the condition is over (a sensor back to normal); counted towards flapping.
    state: Literal["on", "off"] = "on"

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
            state=self.state,
        )


class AlarmBatchIn(BaseModel):
    alarms: list[AlarmIn] = Field(min_length=1, max_length=MAX_BATCH)


class AlarmOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
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
    # Why the rule gave this outcome: its version and the figures it looked at.
    reason: dict[str, Any]
    # How many alarms the case has gathered (a storm's or a steady alarm's count).
    case_alarm_count: int | None = None
    acknowledged_at: datetime | None = None
    dismissed_at: datetime | None = None
    dismiss_reason: str | None = None
    dismiss_note: str = ""

    @classmethod
    def of(cls, alarm: Alarm, device_code: str, case_alarm_count: int | None = None) -> "AlarmOut":
        return cls(
            id=alarm.id,
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
            reason=alarm.reason or {},
            case_alarm_count=case_alarm_count,
            acknowledged_at=alarm.acknowledged_at,
            dismissed_at=alarm.dismissed_at,
            dismiss_reason=alarm.dismiss_reason,
            dismiss_note=alarm.dismiss_note or "",
        )


class TakenOut(AlarmOut):
    """An alarm as intake answers it: `new` is False when the event id was seen before."""

    new: bool


class AlarmFilterIn(BaseModel):
    """`since` is a time with its zone (`2026-12-07T08:00:00+08:00`); one without is a 422.
    `case_number` is digits only; anything else is a 422."""

    device: str | None = Field(default=None, max_length=20)
    type: str | None = Field(default=None, max_length=40)
    since: AwareDatetime | None = None
    # A case's number (district code, date, sequence: digits only): the alarms it gathered.
    case_number: str | None = Field(default=None, max_length=24, pattern=r"^[0-9]+$")
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_SQL_INTEGER)


MAX_WINDOW_MINUTES = 7 * 24 * 60
MAX_COUNT = 1_000_000


class AlarmRuleIn(BaseModel):
    """A type's whole rule. Counts and windows are whole numbers ≥ 0; 0 switches one off."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, max_length=40)
    priority: Literal["normal", "urgent"]
    route_to: str | None = Field(default=None, min_length=1, max_length=40)
    opens_case: bool
    dedupe_minutes: int = Field(ge=0, le=MAX_WINDOW_MINUTES)
    flap_count: int = Field(default=0, ge=0, le=MAX_COUNT)
    flap_minutes: int = Field(default=0, ge=0, le=MAX_WINDOW_MINUTES)
    storm_count: int = Field(default=0, ge=0, le=MAX_COUNT)
    storm_minutes: int = Field(default=0, ge=0, le=MAX_WINDOW_MINUTES)

    def change(self) -> RuleChange:
        return RuleChange(**self.model_dump())


class AlarmRuleOut(BaseModel):
    type: str
    name: str
    name_en: str
    category: str | None
    priority: str
    route_to: str | None
    opens_case: bool
    dedupe_minutes: int
    flap_count: int
    flap_minutes: int
    storm_count: int
    storm_minutes: int
    version: int

    @classmethod
    def of(cls, rule: AlarmRule) -> "AlarmRuleOut":
        return cls(
            type=rule.type,
            name=rule.name,
            name_en=rule.name_en,
            version=rule.version,
            **rule.settings(),
        )


class DismissIn(BaseModel):
    """Why the alarm was false; the note may be long enough for the service to refuse in words."""

    reason: DismissReason
    note: str = Field(default="", max_length=4000)

    @field_validator("note")
    @classmethod
    def _storable_note(cls, value: str) -> str:
        # PostgreSQL text cannot hold a NUL: refused in words, never a server error.
        if "\x00" in value:
            raise ValueError("NUL character")
        return value


class NearCameraOut(BaseModel):
    code: str
    name: str
    status: str
    lng: float
    lat: float
    address: str
    distance_m: float
    stream_url: str | None

    @classmethod
    def of(cls, near: NearCamera) -> "NearCameraOut":
        device = near.device
        return cls(
            code=device.code,
            name=device.name,
            status=device.status,
            lng=device.lng,
            lat=device.lat,
            address=device.address,
            distance_m=near.distance_m,
            stream_url=device.stream_url,
        )


class DistrictHealthOut(BaseModel):
    """One district's devices: by status, and how many are faulty or flagged (of any status)."""

    code: str
    name: str
    total: int
    online: int
    offline: int
    disabled: int
    faulty: int
    flagged: int

    @classmethod
    def of(cls, health: DistrictHealth) -> "DistrictHealthOut":
        return cls(
            code=health.code,
            name=health.name,
            total=health.total,
            online=health.counts[DeviceStatus.ONLINE.value],
            offline=health.counts[DeviceStatus.OFFLINE.value],
            disabled=health.counts[DeviceStatus.DISABLED.value],
            faulty=health.faulty,
            flagged=health.flagged,
        )


class FlaggedDeviceOut(DeviceOut):
    false_alarms: int


class SosPressIn(BaseModel):
    """A grid worker's SOS: the phone's position (WGS-84) if it has one, and the place's name."""

    lng: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    place: str = Field(default="", max_length=120)

    def press(self) -> Press:
        both = self.lng is not None and self.lat is not None
        return Press(
            lng=self.lng if both else None, lat=self.lat if both else None, place=self.place
        )


class SosOut(BaseModel):
    id: int
    source: str
    case_number: str
    place: str
    lng: float | None
    lat: float | None
    region_code: str
    level: str
    raised_at: datetime
    acknowledged_at: datetime | None
    new: bool = False

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, call: SosCall, *, new: bool = False) -> "SosOut":
        return cls.model_validate(call).model_copy(update={"new": new})
