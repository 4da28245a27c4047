"""Devices placed in grids, and the alarms they send, stored once by the device's event id."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
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


class Device(Base):
    """A camera, sensor or button; `region_code` is the grid its point lies in."""

    __tablename__ = "devices"

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


class Alarm(Base):
    """One alarm as a device reported it, minus anything that could identify a person."""

    __tablename__ = "alarms"
    __table_args__ = (
        UniqueConstraint("device_id", "event_id", name="uq_alarms_device_event"),
        Index("ix_alarms_device_type_received", "device_id", "alarm_type", "received_at"),
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
