"""In a real browser: the command centre's device health per district, and the dispatcher
acknowledging an alarm and dismissing false ones with a reason until the device is flagged.
Dismissing the alarm that opened a case leaves the case to the dispatcher."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.intake import AlarmReport, take_alarm
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.categories.seeds import seed_builtin
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from tests.e2e.helpers import sign_in, zh
from tests.factories import OWN_DISTRICT, OWN_GRID, City, People

pytestmark = pytest.mark.e2e

BIG_SCREEN = {"width": 1920, "height": 1080}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        data_dir=tmp_path / "var",
        false_alarm_limit=1,
    )


@pytest.fixture
def alarms(db: Session, city: City) -> dict[str, int]:
    """A smoke sensor that sent a smoke alarm (a case) and two battery-low ones; their ids."""
    seed_builtin(db)
    data = DeviceInput(
        code="53050200081346000031",
        kind=DeviceKind.SMOKE_SENSOR,
        name="厨房烟感",
        spot=Spot(*city.point_in(OWN_GRID)),
    )
    device, _ = register_device(db, console_actor(), grid_index=GridIndex(), data=data)
    ids = {}
    for event_id, kind in (("b-1", "low_battery"), ("b-2", "low_battery"), ("s-1", "smoke")):
        report = AlarmReport(event_id=event_id, alarm_type=kind)
        ids[event_id] = take_alarm(db, GridIndex(), device=device, report=report).alarm.id
        db.commit()
    return ids


def actions(page: Any, alarm_id: int) -> Any:
    return page.locator(f"#alarm-list .alarm-actions[data-alarm='{alarm_id}']")


def test_a_dispatcher_acknowledges_and_dismisses_alarms_until_the_device_is_flagged(
    page: Any, people: People, alarms: dict[str, int], artifacts: Path
) -> None:
    page.set_viewport_size(BIG_SCREEN)
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/command")
    page.wait_for_selector(".panel-alarms[data-state='ready']")
    health = page.locator(f"#device-health tr[data-district='{OWN_DISTRICT}']")
    # Online 1, offline 0, faulty 1 (it reported a flat battery), flagged 0.
    expect(health.locator("td")).to_have_text(["1", "0", "1", "0"])

    actions(page, alarms["b-1"]).get_by_role(
        "button", name=zh("page.camview.alarm.acknowledge")
    ).click()
    expect(actions(page, alarms["b-1"])).to_contain_text(zh("page.camview.alarm.acknowledged"))

    actions(page, alarms["s-1"]).get_by_role(
        "button", name=zh("page.camview.alarm.dismiss")
    ).click()
    dialog = page.locator("#dismiss-dialog")
    expect(dialog.locator("#dismiss-case")).to_be_visible()
    dialog.get_by_label(zh("page.camview.dismiss.reason")).select_option("other")
    dialog.get_by_role("button", name=zh("page.camview.dismiss.submit"), exact=True).click()
    expect(dialog.locator("#dismiss-error")).to_have_text(zh("error.dismiss_note_required"))
    dialog.get_by_label(zh("page.camview.dismiss.note")).fill("炒菜油烟触发")
    dialog.get_by_role("button", name=zh("page.camview.dismiss.submit"), exact=True).click()
    expect(dialog).to_be_hidden()
    expect(actions(page, alarms["s-1"])).to_contain_text(
        zh("page.camview.alarm.dismissed", reason=zh("page.camview.reason.other"))
    )
    expect(page.locator("#toast")).to_contain_text("仍由调度员处理")
    expect(page.locator("#command-map path.device-flagged")).to_have_count(0)

    actions(page, alarms["b-2"]).get_by_role(
        "button", name=zh("page.camview.alarm.dismiss")
    ).click()
    dialog.get_by_label(zh("page.camview.dismiss.reason")).select_option("device_fault")
    dialog.get_by_role("button", name=zh("page.camview.dismiss.submit"), exact=True).click()
    expect(page.locator("#command-map path.device-flagged")).to_have_count(1)
    expect(health.locator("td")).to_have_text(["1", "0", "1", "1"])
    page.locator("#command-map path.device-flagged").hover()
    flagged = zh("page.camview.flagged.tooltip", name="厨房烟感", count=2)
    expect(page.get_by_role("tooltip", name=flagged)).to_be_visible()
    page.screenshot(path=str(artifacts / "command-false-alarms.png"))
