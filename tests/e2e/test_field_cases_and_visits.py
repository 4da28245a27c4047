"""On a 390×844 phone: the grid worker's own case tabs, and a household visit with its safety
assessment made offline, sent once from the outbox when the phone is back, opening a case."""

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.categories.seeds import seed_builtin
from civicgrid.geo.service import GridIndex
from civicgrid.registry.households import create_household
from civicgrid.registry.schemas import HouseholdIn, PlaceIn
from tests.e2e.helpers import post_from_page, sign_in, zh
from tests.factories import OWN_GRID, PASSWORD, City, People, user_row

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Any, live_server: str, city: City, db: Session, people: People) -> Any:
    seed_builtin(db)
    auth_service.create_user(
        db, username="worker", password=PASSWORD, role=Role.GRID_WORKER, scope_code=OWN_GRID
    )
    admin = auth_service.actor_for_user(user_row(db, "admin"))
    data = HouseholdIn(number="H0001", address=PlaceIn(address="兰城路8号1栋", grid_code=OWN_GRID))
    create_household(db, admin, grid_index=GridIndex(), data=data)
    db.commit()
    lng, lat = city.point_in(OWN_GRID)
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport=PHONE,
        geolocation={"longitude": lng, "latitude": lat, "accuracy": 10},
        permissions=["geolocation"],
        service_workers="allow",
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def visits(page: Any, *, within_s: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within_s
    while True:
        found = page.request.get("/api/v1/fieldwork/records").json()
        if found or time.monotonic() > deadline:
            return found
        page.wait_for_timeout(200)


def test_the_worker_sees_their_cases_and_files_a_visit_made_offline(
    phone: Any, city: City, artifacts: Path
) -> None:
    sign_in(phone, "worker", PASSWORD)
    phone.goto("/field")
    phone.wait_for_selector("#field[data-state='ready']")
    lng, lat = city.point_in(OWN_GRID)
    made = post_from_page(
        phone,
        "/api/v1/cases",
        {"description": "楼道堆放杂物", "channel": "grid_worker", "lng": lng, "lat": lat},
    )
    assert made.status == 201, made.text()
    number = made.json()["number"]
    phone.get_by_role("tab", name=zh("page.field.cases.returned")).click()
    expect(phone.locator("#field-cases-empty")).to_be_visible()
    phone.get_by_role("tab", name=zh("page.field.cases.mine")).click()
    expect(phone.locator("#field-cases")).to_contain_text(number)
    expect(phone.get_by_role("tab", name=zh("page.field.cases.mine"))).to_have_attribute(
        "aria-selected", "true"
    )
    # The household is looked up while online; the visit itself is then made offline.
    form = phone.locator("#visit-form")
    household = form.get_by_label(zh("page.field.visit.household"))
    household.fill("H0001")
    household.press("Tab")
    expect(form).to_contain_text("兰城路8号1栋")
    phone.context.set_offline(True)
    expect(phone.locator("#net-state")).to_have_attribute("data-online", "false")
    form.get_by_label(zh("page.field.visit.open_case")).check()
    form.get_by_role("button", name=zh("page.field.visit.submit")).click()
    expect(form).to_contain_text(zh("page.field.visit.open_case_needs_hazard"))
    form.get_by_role("checkbox", name=zh("fieldwork.item.gas")).check()
    form.get_by_label(zh("page.field.visit.item_note", item=zh("fieldwork.item.gas"))).fill(
        "燃气软管老化开裂"
    )
    form.get_by_label(zh("page.field.visit.note")).fill("独居老人，已口头提醒")
    phone.screenshot(path=str(artifacts / "field-visit-390.png"), full_page=True)
    form.get_by_role("button", name=zh("page.field.visit.submit")).click()
    expect(phone.locator("#visit-done")).to_have_text(zh("page.field.queued_offline"))
    expect(phone.locator("#outbox-count")).to_have_text("(1)")
    expect(phone.locator("#outbox")).to_contain_text(zh("page.field.visit.heading"))
    phone.context.set_offline(False)
    expect(phone.locator("#outbox-count")).to_have_text("(0)", timeout=30_000)

    [visit] = visits(phone)
    assert visit["task_type"] == "household_visit"
    assert visit["subject_kind"] == "household"
    assert visit["case_number"]
    phone.get_by_role("tab", name=zh("page.field.cases.mine")).click()
    phone.screenshot(path=str(artifacts / "field-cases-390.png"), full_page=True)
