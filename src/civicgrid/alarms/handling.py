"""Alarms seen and alarms judged false: acknowledging and dismissing, by the centre on duty.

A dismissal is a false alarm, with a reason from `DismissReason` and a note, and
counts against its device (`alarms.health` flags a device with too many in a
period). Dismissing an alarm never moves the case it opened or joined: the case's
status changes only through `cases/workflow.py`, by a person who reads the whole
case (a second, real alarm may have joined it; a resident may have called). The
answer names the case, and the alarm panel tells the dispatcher it is still open.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import Alarm, Device
from civicgrid.alarms.roles import ALARM_HANDLERS
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.auth.service import require_role
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.masking import mask_personal_data
from civicgrid.timeutil import utcnow

MAX_NOTE = 500


class DismissReason(StrEnum):
    """Why an alarm was false; `other` needs a note saying what happened."""

    TEST = "test"
    ENVIRONMENT = "environment"
    DEVICE_FAULT = "device_fault"
    MISTAKEN_PRESS = "mistaken_press"
    DUPLICATE = "duplicate"
    OTHER = "other"


def handled_alarm(db: Session, actor: Actor, alarm_id: int) -> tuple[Alarm, str]:
    """An alarm of the handler's area with its device's code; one elsewhere does not exist."""
    require_role(actor, ALARM_HANDLERS)
    row = db.execute(
        select(Alarm, Device.code)
        .join(Device, Device.id == Alarm.device_id)
        .where(Alarm.id == alarm_id, in_scope(actor, Alarm.region_code))
    ).first()
    if row is None:
        raise NotFound("alarm_not_found", id=alarm_id)
    return row[0], row[1]


def acknowledge(
    db: Session, actor: Actor, alarm_id: int, *, now: datetime | None = None
) -> tuple[Alarm, str]:
    """Someone on duty has seen the alarm; a second press keeps the first time and person."""
    alarm, code = handled_alarm(db, actor, alarm_id)
    if alarm.dismissed_at is not None:
        raise Conflict("alarm_dismissed", id=alarm_id)
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at = now or utcnow()
        alarm.acknowledged_by = actor.user_id
        db.flush()
    return alarm, code


def dismiss(
    db: Session,
    actor: Actor,
    alarm_id: int,
    *,
    reason: DismissReason,
    note: str,
    now: datetime | None = None,
) -> tuple[Alarm, str]:
    """The alarm was false: kept, with who judged it, when and why; it counts against the device."""
    alarm, code = handled_alarm(db, actor, alarm_id)
    if alarm.dismissed_at is not None:
        raise Conflict("alarm_dismissed", id=alarm_id)
    text = note.strip()
    if reason is DismissReason.OTHER and not text:
        raise Invalid("dismiss_note_required", field="note")
    if len(text) > MAX_NOTE:
        raise Invalid("dismiss_note_too_long", field="note", limit=MAX_NOTE)
    moment = now or utcnow()
    alarm.dismissed_at = moment
    alarm.dismissed_by = actor.user_id
    alarm.dismiss_reason = reason.value
    alarm.dismiss_note = mask_personal_data(text)
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at, alarm.acknowledged_by = moment, actor.user_id
    db.flush()
    return alarm, code
