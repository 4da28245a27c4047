"""In a real browser at 1366×768: an administrator puts a dispatcher on duty for the shift
running now, and the big screen names them in its header."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from civicgrid.roster.service import shift_at
from civicgrid.timeutil import utcnow
from tests.e2e.helpers import sign_in, zh
from tests.factories import OWN_STREET, People

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}


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
    form.get_by_label(zh("page.admin.roster_region")).fill(OWN_STREET)
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
