"""Alarm intake: a device proves itself, its alarm is stored once and the rules act on it.

HTTP and MQTT both end here. An alarm is stored once per (device, event id):
a device that sends again after a lost reply gets the first answer back. What
the rules make of it is stored on the alarm (`outcome`, `case_number`), so
every case from a device says which alarms it came from and why.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.alarms.device_keys import hash_key, key_matches
from civicgrid.alarms.identity import scrub
from civicgrid.alarms.models import Alarm, AlarmOutcome, Device, DeviceStatus
from civicgrid.alarms.rules import AlarmRule, rule_for
from civicgrid.alarms.service import heard_from
from civicgrid.alarms.sos import SOS_TYPE, press_from_device
from civicgrid.auth.scope import Actor
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.taxonomy import taxonomy
from civicgrid.errors import BatchInvalid, DomainError, Forbidden, Unauthorized
from civicgrid.geo.service import GridIndex
from civicgrid.i18n import DEFAULT_LOCALE, translate
from civicgrid.masking import mask_personal_data
from civicgrid.timeutil import utcnow

CHANNEL = "device"
# Compared against when the code names no device, so a wrong code costs what a wrong key does.
_NO_DEVICE_HASH = hash_key("no device has this key")


@dataclass(frozen=True)
class AlarmReport:
    """One alarm as a device reports it, whichever way it arrived."""

    event_id: str
    alarm_type: str
    occurred_at: datetime | None = None
    detail: str = ""
    value: float | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Taken:
    """The stored alarm, and whether this report stored it (False: a replay of an earlier one)."""

    alarm: Alarm
    new: bool


def authenticate_device(db: Session, *, code: str, key: str) -> Device:
    """The device whose code and key these are; a disabled device is refused."""
    device = db.scalar(select(Device).where(Device.code == code.strip()))
    matches = key_matches(device.key_hash if device else _NO_DEVICE_HASH, key)
    if device is None or not matches:
        raise Unauthorized("invalid_device_key")
    return _require_enabled(device)


def device_for_code(db: Session, code: str) -> Device:
    """The device behind a broker-authenticated topic (the broker checked its key)."""
    device = db.scalar(select(Device).where(Device.code == code))
    if device is None:
        raise Unauthorized("invalid_device_key")
    return _require_enabled(device)


def _require_enabled(device: Device) -> Device:
    if device.status == DeviceStatus.DISABLED.value:
        raise Forbidden("device_disabled", code=device.code)
    return device


def require_known_types(reports: Sequence[AlarmReport]) -> None:
    """Every alarm of a batch has a rule, or none is stored."""
    problems: list[tuple[int, DomainError]] = []
    for position, report in enumerate(reports):
        try:
            rule_for(report.alarm_type)
        except DomainError as problem:
            problems.append((position, problem))
    if len(reports) == 1 and problems:
        raise problems[0][1]
    if problems:
        raise BatchInvalid(problems)


def take_alarm(
    db: Session,
    index: GridIndex,
    *,
    device: Device,
    report: AlarmReport,
    now: datetime | None = None,
) -> Taken:
    """Store the alarm once and let its rule act: open a case, join one, or only record it.

    Opening a case goes through case intake, which commits (see
    `cases.service.report_cases`); the alarm row itself is left to the caller's commit.
    """
    now = now or utcnow()
    heard_from(db, device, now)
    earlier = _stored(db, device, report.event_id)
    if earlier is not None:
        return Taken(earlier, new=False)
    rule = rule_for(report.alarm_type)
    outcome, case_number = _apply_rule(db, index, device, rule, event_id=report.event_id, now=now)
    alarm = Alarm(
        device_id=device.id,
        event_id=report.event_id,
        alarm_type=rule.type,
        region_code=device.region_code,
        occurred_at=report.occurred_at or now,
        received_at=now,
        detail=mask_personal_data(report.detail.strip()),
        value=report.value,
        attributes=scrub(dict(report.attributes)),
        outcome=outcome.value,
        case_number=case_number,
    )
    try:
        with db.begin_nested():
            db.add(alarm)
    except IntegrityError:
        # The same event arrived twice at once (two HTTP retries, HTTP and MQTT): the
        # first stored it, and both get its row.
        stored = _stored(db, device, report.event_id)
        if stored is None:
            raise
        return Taken(stored, new=False)
    if rule.type == SOS_TYPE and case_number is not None:
        press_from_device(db, device, event_id=report.event_id, case_number=case_number, now=now)
    return Taken(alarm, new=True)


def _stored(db: Session, device: Device, event_id: str) -> Alarm | None:
    return db.scalar(select(Alarm).where(Alarm.device_id == device.id, Alarm.event_id == event_id))


def _apply_rule(
    db: Session, index: GridIndex, device: Device, rule: AlarmRule, *, event_id: str, now: datetime
) -> tuple[AlarmOutcome, str | None]:
    if not rule.opens_case:
        return AlarmOutcome.RECORDED, None
    joined = _case_within_window(db, device, rule, now)
    if joined is not None:
        return AlarmOutcome.JOINED_CASE, joined
    key = _case_key(device, rule, event_id, now)
    number, created = _open_case(db, index, device, rule, key=key, now=now)
    return (AlarmOutcome.OPENED_CASE if created else AlarmOutcome.JOINED_CASE), number


def _case_within_window(db: Session, device: Device, rule: AlarmRule, now: datetime) -> str | None:
    """The case of this device's last alarm of this type, if that alarm is inside the window."""
    if rule.dedupe_minutes == 0:
        return None
    return db.scalar(
        select(Alarm.case_number)
        .where(
            Alarm.device_id == device.id,
            Alarm.alarm_type == rule.type,
            Alarm.case_number.is_not(None),
            Alarm.received_at >= now - rule.dedupe_window,
        )
        .order_by(Alarm.received_at.desc(), Alarm.id.desc())
        .limit(1)
    )


def _open_case(
    db: Session, index: GridIndex, device: Device, rule: AlarmRule, *, key: str, now: datetime
) -> tuple[str, bool]:
    description = translate(
        "alarm.case_description",
        DEFAULT_LOCALE,
        alarm=rule.label(DEFAULT_LOCALE),
        device=device.name,
        code=device.code,
    )
    intake = Intake(
        description=description,
        channel=CHANNEL,
        lng=device.lng,
        lat=device.lat,
        address=device.address or None,
        category_code=_filed_category(db, rule.category),
        priority=rule.priority,
    )
    case, created = report_case(
        db,
        index,
        intake=intake,
        actor=Actor(kind="device", role=None, scope_code=device.region_code),
        idempotency_key=key,
        now=now,
    )
    return case.number, created


def _filed_category(db: Session, code: str | None) -> str | None:
    """The rule's category if this city files cases under it; else the classifier suggests one."""
    if code is None:
        return None
    filing = taxonomy(db).get(code)
    usable = filing is not None and filing.active and filing.parent_code is not None
    return code if usable else None


def _case_key(device: Device, rule: AlarmRule, event_id: str, now: datetime) -> str:
    """One case per device, type and window-long slice of time.

    The window check above reads committed alarms; two alarms of one device
    arriving at the same moment both miss each other there, but share this key,
    so case intake gives both the one case.
    """
    if rule.dedupe_minutes == 0:
        return f"alarm:{device.code}:event:{event_id}"
    slice_number = int(now.timestamp() // rule.dedupe_window.total_seconds())
    return f"alarm:{device.code}:{rule.type}:{slice_number}"
