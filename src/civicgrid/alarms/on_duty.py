"""An alarm that opens a case calls the person on duty (值班) for the device's place.

The roster (`roster.service.on_duty`) names them: the street centre's duty first,
then the district's, then the city's. Each gets an inbox notice naming the case,
so the alarm has a person, not only a queue, from its first minute.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import Device
from civicgrid.alarms.rules import AlarmRule
from civicgrid.cases.models import Case
from civicgrid.i18n import DEFAULT_LOCALE, translate
from civicgrid.notify.service import enqueue_notice
from civicgrid.roster.service import Duty, on_duty

ON_DUTY_EVENT = "alarm.on_duty_called"


def call_on_duty(
    db: Session, number: str, device: Device, rule: AlarmRule, now: datetime
) -> list[Duty]:
    """Notify whoever is on duty for the device's place of the case the alarm opened."""
    duties = on_duty(db, device.region_code, at=now)
    if not duties:
        return []
    case_id = db.scalar(select(Case.id).where(Case.number == number))
    enqueue_notice(
        db,
        event=ON_DUTY_EVENT,
        user_ids=[duty.user.id for duty in duties],
        title=translate(
            "alarm.on_duty_title", DEFAULT_LOCALE, alarm=rule.label(DEFAULT_LOCALE), number=number
        ),
        body=translate(
            "alarm.on_duty_body",
            DEFAULT_LOCALE,
            device=device.name,
            address=device.address or device.region_code,
        ),
        now=now,
        case_id=case_id,
    )
    return duties
