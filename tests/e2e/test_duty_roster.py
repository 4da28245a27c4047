"""In a real browser at 1366×768: an administrator puts a dispatcher on duty for the shift
running now, the big screen names them in its header, and a fire alarm's case names them
on the desk."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.intake import AlarmReport, device_for_code, take_alarm
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.auth import service as auth_service
from civicgrid.categories.seeds import seed_builtin
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from civicgrid.roster.service import add_duty, shift_at
from civicgrid.timeutil import utcnow
from tests.e2e.helpers import open_case, pick_region, sign_in, zh
from tests.factories import OWN_GRID, OWN_STREET, City, People, user_row

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}
SENSOR = "53050200081346000009"


def test_the_duty_put_on_the_roster_shows_on_the_big_screen(
    page: Any, window: Any, people: People, artifacts: Path
) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin#roster")
    page.wait_for_selector("#admin[data-state='ready']")
    day, shift = shift_at(utcnow())
    form = page.locator("#roster-form")
    form.get_by_label(zh("roster.column.day")).fill(day.isoformat())
    form.get_by_label(zh("roster.column.shift")).select_option(shift.value)
    pick_region(form.get_by_label(zh("page.admin.roster_region")), OWN_STREET, OWN_STREET)
    form.get_by_label(zh("roster.column.username")).fill("owner")
    form.get_by_role("button", name=zh("page.admin.add")).click()
    expect(page.locator("#roster-table")).to_contain_text("owner")
    expect(page.locator("#roster-table")).to_contain_text(zh(f"roster.shift.{shift.value}"))
    page.locator("#roster").screenshot(path=str(artifacts / "admin-roster-1366.png"))
    exported = page.request.get(page.locator("#roster-export").get_attribute("href"))
    assert exported.status == 200

    form.get_by_label(zh("roster.column.username")).fill("outsider")
    form.get_by_role("button", name=zh("page.admin.add")).click()
    expect(form).to_contain_text("不在区划")

    leader = window(viewport=DESKTOP)
    sign_in(leader, people.leader.username, people.leader.password)
    leader.goto("/command")
    duty = leader.locator("#command-duty")
    expect(duty).to_contain_text(zh("page.command.duty.heading"))
    expect(duty).to_contain_text("owner")
    expect(duty).to_be_in_viewport()
    leader.screenshot(path=str(artifacts / "command-duty-1366.png"))


def test_a_fire_alarm_s_case_names_the_person_on_duty_on_the_desk(
    page: Any, db: Session, city: City, people: People, artifacts: Path
) -> None:
    seed_builtin(db)
    now = utcnow()
    day, shift = shift_at(now)
    admin = auth_service.actor_for_user(user_row(db, "admin"))
    add_duty(db, admin, region_code=OWN_STREET, day=day, shift=shift, username="owner")
    spot = Spot(*city.point_in(OWN_GRID))
    data = DeviceInput(code=SENSOR, kind=DeviceKind.SMOKE_SENSOR, name="烟感值班", spot=spot)
    register_device(db, console_actor(), grid_index=GridIndex(), data=data)
    db.commit()
    report = AlarmReport(event_id="duty-e2e", alarm_type="smoke", state="on")
    taken = take_alarm(db, GridIndex(), device=device_for_code(db, SENSOR), report=report, now=now)
    db.commit()
    number = taken.alarm.case_number
    assert number is not None

    page.set_viewport_size(DESKTOP)
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    open_case(page, number)
    duty = page.locator("#alarm-origin-duty")
    expect(duty).to_be_visible()
    expect(duty).to_contain_text("owner")
    expect(duty).to_contain_text(zh(f"roster.shift.{shift.value}"))
    page.locator("#alarm-origin").screenshot(path=str(artifacts / "desk-alarm-on-duty-1366.png"))
