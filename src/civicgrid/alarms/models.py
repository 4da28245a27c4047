"""Devices placed in grids, and the alarms they send, stored once by the device's event id."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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


class DeviceStatus(StrEnum):
    """Online and offline follow the heartbeat; disabled is an administrator's choice."""

    ONLINE = "online"
    OFFLINE = "offline"
    DISABLED = "disabled"


class AlarmOutcome(StrEnum):
    """What the rules did with an alarm, kept on the alarm as the reason for its case."""

    OPENED_CASE = "opened_case"
    JOINED_CASE = "joined_case"
    RECORDED = "recorded"
    # A storm: this alarm joined the one case its device's or grid's alarms gather into.
    STORM = "storm"
    # The device turns this alarm on and off too often: kept on record, no case.
    FLAPPING = "flapping"
    # The device reports the condition over (state "off"); counted towards flapping.
    CLEARED = "cleared"


class Device(Base):
    """A camera, sensor or button; `region_code` is the grid its point lies in."""

    __tablename__ = "devices"
    # The cameras near a case are found in a box around it first.
    __table_args__ = (Index("ix_devices_lng_lat", "lng", "lat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    lng: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    address: Mapped[str] = mapped_column(String(255), default="")
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(160))
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The camera's name in a Frigate server's config: Frigate's events name cameras this way.
    frigate_camera: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The live view on the city's video platform (HLS), for cameras that have one.
    stream_url: Mapped[str | None] = mapped_column(String(500))


class Alarm(Base):
    """One alarm as a device reported it, minus anything that could identify a person."""

    __tablename__ = "alarms"
    __table_args__ = (
        UniqueConstraint("device_id", "event_id", name="uq_alarms_device_event"),
        Index("ix_alarms_device_type_received", "device_id", "alarm_type", "received_at"),
        # The false alarms of a device in a period: what flags a device that cries wolf.
        Index("ix_alarms_device_dismissed", "device_id", "dismissed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="RESTRICT"))
    event_id: Mapped[str] = mapped_column(String(64))
    alarm_type: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    detail: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None] = mapped_column(Float)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(String(16))
    case_number: Mapped[str | None] = mapped_column(
        ForeignKey("cases.number", ondelete="RESTRICT"), index=True
    )
    # Why the rule gave this outcome: the rule's version and the figures it looked at.
    reason: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A person on duty saw it (acknowledged) or judged it false (dismissed, with a reason).
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    dismissed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dismissed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    dismiss_reason: Mapped[str | None] = mapped_column(String(24))
    dismiss_note: Mapped[str] = mapped_column(String(500), default="")


class SceneRule(Base):
    """A scene over a camera's object events that becomes an alarm (see `alarms.scenes`).

    `camera` names one Frigate camera; without it the rule covers every camera
    whose grid lies in `region_code` (a street, a district, the city). Either way
    `region_code` is where the rule belongs, and whose keepers may change it.
    """

    __tablename__ = "scene_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    camera: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    zone: Mapped[str] = mapped_column(String(64))
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_dwell_seconds: Mapped[int] = mapped_column(Integer, default=0)
    min_count: Mapped[int] = mapped_column(Integer, default=1)
    # Local (Asia/Shanghai) minutes of the day; a start after the end crosses midnight.
    window_start_minute: Mapped[int | None] = mapped_column(Integer)
    window_end_minute: Mapped[int | None] = mapped_column(Integer)
    alarm_type: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DeadLetter(Base):
    """A message the listener refused, kept so an administrator can see what went wrong.

    `region_code` is the device's grid when the message named a known device or
    camera, else None (only city-wide administrators see those). The payload is
    cut short and stripped of identity fields before it is kept.
    """

    __tablename__ = "alarm_dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[str] = mapped_column(String(255), default="")
    region_code: Mapped[str | None] = mapped_column(String(15), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    payload: Mapped[str] = mapped_column(Text, default="")
    payload_bytes: Mapped[int] = mapped_column(Integer, default=0)


class AlarmRuleRow(Base):
    """A city's own rule for an alarm type, over the built-in one of data/alarm_rules.json.

    A type with no row here follows the file, so a type added to the file works
    at once; an administrator's change writes (or rewrites) the type's row.
    """

    __tablename__ = "alarm_rules"

    alarm_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(16))
    # None: the city's routing rules decide; "device_owner"; or a department's code.
    route_to: Mapped[str | None] = mapped_column(String(40))
    opens_case: Mapped[bool] = mapped_column(Boolean)
    dedupe_minutes: Mapped[int] = mapped_column(Integer)
    flap_count: Mapped[int] = mapped_column(Integer)
    flap_minutes: Mapped[int] = mapped_column(Integer)
    storm_count: Mapped[int] = mapped_column(Integer)
    storm_minutes: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AlarmCase(Base):
    """A case opened by alarms, and how many alarms it has gathered so far.

    `device_id` is the device whose alarms it gathers; a storm over a grid's many
    devices keeps the first device's id and the grid in `region_code`.
    """

    __tablename__ = "alarm_cases"
    __table_args__ = (Index("ix_alarm_cases_type_last", "alarm_type", "last_alarm_at"),)

    case_number: Mapped[str] = mapped_column(
        ForeignKey("cases.number", ondelete="RESTRICT"), primary_key=True
    )
    alarm_type: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="RESTRICT"))
    region_code: Mapped[str] = mapped_column(String(15))
    alarm_count: Mapped[int] = mapped_column(Integer)
    first_alarm_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_alarm_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ThresholdRule(Base):
    """A sensor threshold kept as data: this measure beyond `limit` for `duration_seconds`
    raises `alarm_type` (a type of the rules file) once per excursion.

    It applies to one device (`device_code`) or to every device of a kind (`device_kind`),
    never both; the service checks that, the table only stores it.
    """

    __tablename__ = "threshold_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_kind: Mapped[str | None] = mapped_column(String(32))
    device_code: Mapped[str | None] = mapped_column(String(20))
    measure: Mapped[str] = mapped_column(String(40))
    comparison: Mapped[str] = mapped_column(String(2))
    limit: Mapped[float] = mapped_column(Float)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    alarm_type: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SosLevel(StrEnum):
    """Whose centre answers an SOS: the district's first, the city's once nobody acknowledged."""

    DISTRICT = "district"
    CITY = "city"


class SosCall(Base):
    """One SOS press (一键报警) from a grid worker's phone or a key place's button.

    `press_key` makes a press stored once however often the phone or button sends
    it; `ack_due_at` is when the worker escalates it if nobody has acknowledged.
    """

    __tablename__ = "sos_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    press_key: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="RESTRICT"))
    case_number: Mapped[str] = mapped_column(
        ForeignKey("cases.number", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    place: Mapped[str] = mapped_column(String(255), default="")
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(16))
    centre_code: Mapped[str] = mapped_column(String(15))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ack_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notified: Mapped[list[Any]] = mapped_column(JSON, default=list)


class SosEvent(Base):
    """What happened to an SOS call (raised, escalated, acknowledged) and why; the live
    stream sends each one to the command centres that see the call's place."""

    __tablename__ = "sos_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sos_id: Mapped[int] = mapped_column(ForeignKey("sos_calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
