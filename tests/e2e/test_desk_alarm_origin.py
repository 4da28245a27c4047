"""In a real browser: a dispatcher opens a case an alarm storm gathered on the desk and
reads how many device alarms it holds, with the latest one's type and reason."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.intake import AlarmReport, device_for_code, take_alarm
from civicgrid.alarms.models import Alarm
from civicgrid.alarms.rules import RuleChange, change_rule, rules_in_force
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.categories.seeds import seed_builtin
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from tests.e2e.helpers import open_case, sign_in, zh
from tests.factories import OWN_GRID, City, People

pytestmark = pytest.mark.e2e

SENSORS = ("53050200081346000001", "53050200081346000004")


@pytest.fixture
def storm_case(db: Session, city: City) -> str:
    """Two smoke sensors of one grid: two cases, then a storm that joins the second; its number."""
    seed_builtin(db)
    settings = rules_in_force(db)["smoke"].settings() | {
        "dedupe_minutes": 0,
        "storm_count": 3,
        "storm_minutes": 10,
    }
    change_rule(db, console_actor(), "smoke", RuleChange(**settings))
    for n, code in enumerate(SENSORS):
        spot = Spot(*city.point_in(OWN_GRID))
        data = DeviceInput(code=code, kind=DeviceKind.SMOKE_SENSOR, name=f"烟感{n}", spot=spot)
        register_device(db, console_actor(), grid_index=GridIndex(), data=data)
    db.commit()
    start = datetime.now(UTC) - timedelta(minutes=2)
    index = GridIndex()
    codes = [*SENSORS, *SENSORS, SENSORS[0]]
    for n, code in enumerate(codes):
        report = AlarmReport(event_id=f"storm-{n}", alarm_type="smoke", state="on")
        device = device_for_code(db, code)
        take_alarm(db, index, device=device, report=report, now=start + timedelta(seconds=n))
        db.commit()
    latest = db.scalars(select(Alarm).where(Alarm.event_id == "storm-4")).one()
    assert latest.outcome == "storm"
    assert latest.case_number is not None
    return latest.case_number


def test_a_dispatcher_reads_how_many_alarms_a_storm_case_gathered_and_why(
    page: Any, db: Session, people: People, storm_case: str
) -> None:
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    open_case(page, storm_case)

    origin = page.locator("#alarm-origin")
    expect(origin).to_be_visible()
    expect(page.locator("#alarm-origin-count")).to_have_text(
        zh("page.alarm_case.gathered", count=4)
    )
    latest = db.scalars(select(Alarm).where(Alarm.event_id == "storm-4")).one()
    reason = zh(
        "page.alarm_case.reason.storm",
        **{**latest.reason, "scope": zh(f"page.alarm_case.scope.{latest.reason['scope']}")},
    )
    expect(page.locator("#alarm-origin-latest")).to_have_text(
        zh("page.alarm_case.latest", type="烟感报警", reason=reason)
    )
