"""An alarm that opens a case calls the person on duty for the device's place."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.intake import AlarmReport, device_for_code, take_alarm
from civicgrid.alarms.on_duty import ON_DUTY_EVENT
from civicgrid.auth import service as auth_service
from civicgrid.geo.service import GridIndex
from civicgrid.notify.models import OutboxMessage
from civicgrid.roster import service as roster
from tests.alarms.conftest import Registered
from tests.factories import OWN_STREET, People, user_row

NOON = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def alarm(db: Session, device: Registered, event_id: str, now: datetime):
    report = AlarmReport(event_id=event_id, alarm_type="smoke")
    taken = take_alarm(
        db, GridIndex(), device=device_for_code(db, device.code), report=report, now=now
    )
    db.commit()
    return taken


def test_a_fire_alarm_calls_the_street_centre_s_person_on_duty_by_name_and_case(
    db: Session, smoke_sensor: Registered, people: People
):
    admin = auth_service.actor_for_user(user_row(db, "admin"))
    roster.add_duty(
        db, admin, region_code=OWN_STREET, day=NOON.date(), shift=roster.Shift.DAY, username="owner"
    )
    db.commit()
    taken = alarm(db, smoke_sensor, "duty-1", NOON)
    called = db.scalars(select(OutboxMessage).where(OutboxMessage.event == ON_DUTY_EVENT)).all()
    assert [message.target for message in called] == [str(user_row(db, "owner").id)]
    assert taken.alarm.case_number in called[0].payload["title"]
    assert "烟感一号" in called[0].payload["body"]


def test_nobody_on_the_roster_means_no_call_and_the_alarm_still_opens_its_case(
    db: Session, smoke_sensor: Registered, people: People
):
    taken = alarm(db, smoke_sensor, "duty-2", NOON)
    assert taken.alarm.case_number is not None
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.event == ON_DUTY_EVENT)).all() == []
