"""In a real browser at 1920×1080: the command centre's figures, drill-down and live cases.

A leader, a street dispatcher and an outsider open the same screen over the
same data and see their own numbers; a new report pops up live.
"""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.i18n import translate
from tests.e2e.helpers import post_from_page, sign_in
from tests.factories import PASSWORD, AuthedUser, City, People, auth

pytestmark = pytest.mark.e2e


def zh(message_id: str) -> str:
    return translate(message_id, "zh-CN")


BIG_SCREEN = {"width": 1920, "height": 1080}
OWN_GRID = "530502001001001"
OTHER_STREET_GRID = "530502002001001"
OTHER_DISTRICT_GRID = "530521001001001"


def report(page: Any, city: City, grid: str, description: str) -> str:
    lng, lat = city.point_in(grid)
    response = post_from_page(
        page, "/api/v1/cases", {"description": description, "lng": lng, "lat": lat}
    )
    assert response.status == 201, response.text()
    return str(response.json()["number"])


def open_centre(page: Any, username: str, password: str) -> None:
    page.set_viewport_size(BIG_SCREEN)
    sign_in(page, username, password)
    page.goto("/command")
    page.wait_for_selector("#centre[data-state='ready']")


@pytest.fixture
def three_cases(page: Any, city: City) -> None:
    for grid in (OWN_GRID, OTHER_STREET_GRID, OTHER_DISTRICT_GRID):
        report(page, city, grid, "路面坑洼")


def test_the_leader_watches_the_city_drills_down_and_sees_a_new_case_live(
    page: Any, city: City, people: People, three_cases: None, artifacts: Path
) -> None:
    open_centre(page, people.leader.username, people.leader.password)
    first_render_ms = page.evaluate("performance.now()")
    expect(page.locator("#kpi-open")).to_have_text("3")
    expect(page.locator("#kpi-reported_today")).to_have_text("3")
    assert page.locator("#children-table tbody tr").count() == 2
    assert page.locator("#command-map path.leaflet-interactive").count() == 2
    expect(page.locator("#live-state")).to_have_attribute("data-live", "on")
    page.screenshot(path=str(artifacts / "command-city.png"))

    page.locator("#children-table").get_by_role("button", name="区530502").click()
    page.wait_for_selector("#centre[data-region='530502'][data-state='ready']")
    expect(page.locator("#kpi-open")).to_have_text("2")
    assert page.locator("#region-path li").count() == 2

    number = report(page, city, OWN_GRID, "消防通道被占用")
    toast = page.locator("#toast")
    expect(toast).to_contain_text(number, timeout=20_000)
    expect(page.locator("#live-feed li").first).to_contain_text(number)
    expect(page.locator("#kpi-open")).to_have_text("3", timeout=20_000)
    page.screenshot(path=str(artifacts / "command-live.png"))

    page.locator("#region-path").get_by_role("button", name="保山市").click()
    page.wait_for_selector("#centre[data-region='530500'][data-state='ready']")
    expect(page.locator("#kpi-open")).to_have_text("4")
    print(f"command centre first render (figures and map ready): {first_render_ms:.0f} ms")


@pytest.mark.parametrize(("who", "expected"), [("owner", "1"), ("outsider", "1")])
def test_a_dispatcher_and_an_outsider_see_only_their_own_area(
    page: Any, people: People, three_cases: None, *, who: str, expected: str, artifacts: Path
) -> None:
    person = getattr(people, who)
    open_centre(page, person.username, person.password)
    expect(page.locator("#kpi-open")).to_have_text(expected)
    assert page.locator("#region-path li").inner_text() != "保山市"
    page.screenshot(path=str(artifacts / f"command-{who}.png"))


def test_roles_that_do_not_watch_an_area_go_to_the_workbench(page: Any, people: People) -> None:
    sign_in(page, people.peer.username, people.peer.password)
    page.goto("/command")
    page.wait_for_url("**/desk")
    assert page.title().startswith(translate("page.desk.title", "zh-CN"))


def test_the_dispatcher_sends_the_nearest_on_duty_worker_to_a_new_case(
    page: Any, client: Any, db: Any, city: City, *, people: People, artifacts: Path
) -> None:
    auth_service.create_user(
        db, username="onduty", password=PASSWORD, role=Role.GRID_WORKER, scope_code=OWN_GRID
    )
    db.commit()
    lng, lat = city.point_in(OWN_GRID)
    worker = auth(client, AuthedUser("onduty", PASSWORD, OWN_GRID, Role.GRID_WORKER))
    on_duty = client.put("/api/v1/fieldwork/duty", json={"lng": lng, "lat": lat}, headers=worker)
    assert on_duty.status_code == 200, on_duty.text

    open_centre(page, people.owner.username, people.owner.password)
    expect(page.locator("#kpi-on_duty")).to_have_text("1")
    expect(page.locator("#command-map path.on-duty")).to_have_count(1)
    number = report(page, city, OWN_GRID, "路口井盖缺失，有人受伤")
    entry = page.locator("#live-feed li", has_text=number)
    entry.get_by_role("button", name=zh("page.command.nearest.open")).click(timeout=20_000)
    dialog = page.locator("#nearest-dialog")
    expect(dialog).to_contain_text("onduty")
    dialog.get_by_role("button", name=zh("page.command.nearest.send")).click()
    expect(dialog.get_by_role("button", name=zh("page.command.nearest.sent"))).to_be_disabled()
    page.screenshot(path=str(artifacts / "command-nearest.png"))
    inbox = client.get("/api/v1/notifications", headers=worker)
    assert inbox.status_code == 200
