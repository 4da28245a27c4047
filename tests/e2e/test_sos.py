"""In real browsers: an SOS held down in the field app, offline, reaches the command centre.

A grid worker loses the connection and holds the SOS button; the press waits in
the outbox and, once the phone is back online, appears as a banner on the own
district's command centre (not on another district's), stored once.
"""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import SosCall
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.e2e.helpers import sign_in
from tests.factories import OWN_GRID, PASSWORD, City, People

pytestmark = pytest.mark.e2e

BIG_SCREEN = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def worker(db: Session) -> str:
    auth_service.create_user(
        db,
        username="sos.worker",
        password=PASSWORD,
        role=Role.GRID_WORKER,
        scope_code=OWN_GRID,
        display_name="张网格",
    )
    db.commit()
    return "sos.worker"


def centre(window: Any, username: str) -> Any:
    page = window(viewport=BIG_SCREEN)
    sign_in(page, username, PASSWORD)
    page.goto("/command")
    page.wait_for_selector("#centre[data-state='ready']")
    expect(page.locator("#live-state")).to_have_attribute("data-live", "on")
    return page


def hold(page: Any, selector: str, ms: int) -> None:
    page.locator(selector).hover()
    page.mouse.down()
    page.wait_for_timeout(ms)
    page.mouse.up()


def test_an_sos_held_offline_in_the_field_app_pops_up_on_the_own_command_centre_once(
    window: Any, city: City, people: People, *, db: Session, worker: str, artifacts: Path
) -> None:
    own = centre(window, people.owner.username)
    foreign = centre(window, people.outsider.username)
    lng, lat = city.point_in(OWN_GRID)
    phone = window(
        viewport=PHONE,
        geolocation={"longitude": lng, "latitude": lat, "accuracy": 10},
        permissions=["geolocation"],
    )
    sign_in(phone, worker, PASSWORD)
    phone.goto("/field")
    phone.wait_for_selector("#field[data-state='ready']")

    hold(phone, "#sos", 300)  # a short press in a pocket sends nothing
    expect(phone.locator("#outbox-count")).to_have_text("(0)")
    phone.context.set_offline(True)
    hold(phone, "#sos", 1800)
    expect(phone.locator("#outbox-count")).to_have_text("(1)")
    expect(phone.locator("#sos-state")).to_have_text("当前无网络，报警已保存，联网后立即发送")
    phone.screenshot(path=str(artifacts / "sos-field-offline.png"), full_page=True)

    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    banner = own.locator("#sos-banner")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text("网格员")
    expect(banner).to_contain_text("张网格")
    own.screenshot(path=str(artifacts / "sos-command-banner.png"))
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("#outbox-count")).to_have_text("(0)")
    foreign.wait_for_timeout(1000)
    expect(foreign.locator("#sos-banner")).to_be_hidden()
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(SosCall)) == 1

    own.locator("#sos-list").get_by_role("button", name="确认接警").click()
    expect(banner).to_be_hidden()
    db.expire_all()
    call = db.scalar(select(SosCall))
    assert call is not None
    assert call.acknowledged_at is not None
