"""A device's case and the taxonomy in force: a rule's category outside it is not filed under,
the classifier chooses among the categories in force, and the alarm still opens its case."""

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.intake import AlarmReport, device_for_code, take_alarm
from civicgrid.alarms.models import AlarmOutcome
from civicgrid.cases.models import Case
from civicgrid.geo.service import GridIndex
from tests.alarms.conftest import Registered
from tests.factories import put_government_taxonomy_in_force

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_a_smoke_alarm_under_the_government_taxonomy_opens_its_case_outside_the_built_in_one(
    db: Session, smoke_sensor: Registered, tmp_path: Path
):
    put_government_taxonomy_in_force(db, tmp_path)
    report = AlarmReport(event_id="e-gov", alarm_type="smoke", detail="三楼走廊烟雾浓度超限")
    taken = take_alarm(
        db, GridIndex(), device=device_for_code(db, smoke_sensor.code), report=report, now=AT
    )
    db.commit()
    assert taken.alarm.outcome == AlarmOutcome.OPENED_CASE.value
    case = db.scalar(select(Case).where(Case.number == taken.alarm.case_number))
    assert case is not None
    assert case.category_code != "UM-04-04", "the rule's built-in category is not in force"
    assert case.category_code is None or case.category_code.startswith("GOV-")
    assert case.priority == "urgent"
