"""Sensing devices in a real browser: kept on the administrator's page, watched on the
command centre's screen, and a device's name shown as text wherever it appears."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.categories.seeds import seed_builtin
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from tests.e2e.helpers import sign_in, zh
from tests.factories import OWN_GRID, City, People

pytestmark = pytest.mark.e2e

SMOKE_CODE = "53050200081346000001"
MARKUP_NAME = "<img src=x onerror=alert(1)>"
BIG_SCREEN = {"width": 1920, "height": 1080}


def click_device_map(page: Any, lng: float, lat: float) -> None:
    """Click the registration map where a WGS-84 point is shown."""
    box_locator = page.locator("#device-map")
    box_locator.scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([lat, lng]) => {
            const map = document.getElementById('device-map').leafletMap;
            map.setView([lat, lng], 16, { animate: false });
            const point = map.latLngToContainerPoint([lat, lng]);
            return [point.x, point.y];
        }""",
        [lat, lng],
    )
    box = box_locator.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


@pytest.fixture
def smoke_sensor(db: Session, city: City) -> tuple[str, str]:
    """A smoke sensor in the owner's grid whose name is markup; (code, key)."""
    seed_builtin(db)
    lng, lat = city.point_in(OWN_GRID)
    data = DeviceInput(
        code=SMOKE_CODE, kind=DeviceKind.SMOKE_SENSOR, name=MARKUP_NAME, spot=Spot(lng, lat)
    )
    device, key = register_device(db, console_actor(), grid_index=GridIndex(), data=data)
    db.commit()
    return device.code, key


def test_an_administrator_registers_a_device_sees_its_key_once_disables_rekeys_and_deletes_it(
    page: Any, city: City, people: People, artifacts: Path
) -> None:
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin#devices")
    page.wait_for_selector("#devices[data-state='ready']")
    form = page.locator("#device-form")
    form.get_by_label(zh("page.sensing.code")).fill("1234")
    form.get_by_label(zh("page.sensing.kind")).select_option(
        label=zh("page.sensing.kind.smoke_sensor")
    )
    form.get_by_label(zh("page.sensing.name")).fill("三楼烟感")
    click_device_map(page, *city.point_in(OWN_GRID))
    assert form.get_by_label(zh("page.sensing.lng")).input_value() != ""
    form.get_by_role("button", name=zh("page.sensing.add")).click()
    # The refusal stands at the code field, in Chinese.
    expect(form.locator(".field[data-field='code'] .field-error")).to_have_text(
        zh("error.device_code_format", code="1234")
    )

    form.get_by_label(zh("page.sensing.code")).fill(SMOKE_CODE)
    form.get_by_role("button", name=zh("page.sensing.add")).click()
    dialog = page.locator("#device-key-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(zh("page.sensing.key.warning"))
    key = dialog.locator("#device-key").inner_text()
    assert key.startswith("cgd_")
    page.screenshot(path=str(artifacts / "admin-device-key.png"))
    dialog.get_by_role("button", name=zh("page.sensing.key.close")).click()
    expect(dialog).to_be_hidden()
    assert key not in page.content()  # shown once: nothing on the page keeps it

    row = page.locator(f"#devices-table tr[data-code='{SMOKE_CODE}']")
    expect(row).to_contain_text(zh("page.sensing.status.offline"))
    row.get_by_role("button", name=zh("page.sensing.disable")).click()
    expect(row).to_have_attribute("data-status", "disabled")
    expect(row).to_contain_text(zh("page.sensing.status.disabled"))

    page.once("dialog", lambda confirm: confirm.accept())
    row.get_by_role("button", name=zh("page.sensing.rotate")).click()
    expect(dialog).to_be_visible()
    assert dialog.locator("#device-key").inner_text() not in ("", key)
    dialog.get_by_role("button", name=zh("page.sensing.key.close")).click()
    page.once("dialog", lambda confirm: confirm.accept())
    row.get_by_role("button", name=zh("page.admin.delete")).click()
    expect(row).to_have_count(0)

    page.locator("#device-filter").get_by_label(zh("page.sensing.status")).select_option("online")
    expect(page.locator("#devices-range")).to_have_text(zh("page.sensing.empty"))


def test_an_alarm_a_device_posts_shows_on_the_command_centre(
    page: Any, client: TestClient, people: People, smoke_sensor: tuple[str, str], artifacts: Path
) -> None:
    code, key = smoke_sensor
    page.set_viewport_size(BIG_SCREEN)
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/command")
    page.wait_for_selector("#centre[data-state='ready']")
    expect(page.locator("#live-state")).to_have_attribute("data-live", "on")

    alarm = {"event_id": "e-1", "type": "smoke", "detail": "三楼走廊烟雾浓度超限"}
    posted = client.post(
        "/api/v1/alarms",
        json={"alarms": [alarm]},
        headers={"X-Device-Code": code, "X-Device-Key": key},
    )
    assert posted.status_code == 200, posted.text
    number = posted.json()[0]["case_number"]

    # The case arrives live like any other; the alarm panel and the devices layer follow it.
    expect(page.locator("#toast")).to_contain_text(number, timeout=20_000)
    entry = page.locator(f"#alarm-list li[data-device='{code}']")
    expect(entry).to_contain_text("三楼走廊烟雾浓度超限")
    expect(entry).to_contain_text(number)
    expect(entry).to_contain_text(MARKUP_NAME)  # the device's name, as text
    assert page.locator("#alarm-list img").count() == 0
    expect(page.locator("#command-map path.device")).to_have_count(1)
    page.screenshot(path=str(artifacts / "command-devices.png"))


def test_a_device_named_with_markup_shows_as_text(
    page: Any, smoke_sensor: tuple[str, str], people: People
) -> None:
    dialogs: list[str] = []

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    # A dispatcher keeps the area's devices: the admin page shows them that section alone.
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/admin#devices")
    page.wait_for_selector("#admin[data-state='ready'] #devices[data-state='ready']")
    assert page.locator("#users").count() == 0
    expect(page.locator("#devices-table tbody td").nth(1)).to_have_text(MARKUP_NAME)

    page.set_viewport_size(BIG_SCREEN)
    page.goto("/command")
    page.wait_for_selector("#centre[data-state='ready']")
    marker = page.locator("#command-map path.device-offline")
    marker.hover()
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_contain_text(MARKUP_NAME)
    assert page.locator("#command-map img[src='x'], #devices-table img").count() == 0
    assert dialogs == []
