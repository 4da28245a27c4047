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
