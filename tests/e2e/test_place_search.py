"""In a real browser: the desk's phone intake finds the caller's road with the address
search box, by typing and by keyboard, sets the point, grid and marker, and registers
the case there."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import post_from_page, sign_in, zh
from tests.factories import City, People

pytestmark = pytest.mark.e2e

GRID = "530502001001001"


def test_a_road_typed_on_the_desk_sets_the_cases_point_and_grid(
    page: Any, city: City, people: People, artifacts: Path
) -> None:
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    lng, lat = city.point_in(GRID)
    market = post_from_page(
        page,
        "/api/v1/registry/key-places",
        {
            "name": "兰城农贸市场",
            "kind": "market",
            "address": {"address": "兰城路8号", "lng": lng, "lat": lat},
        },
    )
    assert market.status == 201, market.text()

    box = page.get_by_role("combobox", name=zh("page.place_search.label"))
    box.fill("兰城路")
    road = page.get_by_role("option", name="兰城路 " + zh("page.place_search.kind.road"))
    expect(road).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=str(artifacts / "desk-place-search.png"), full_page=True)

    box.press("ArrowDown")
    expect(road).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("兰城路")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#intake-point")).to_have_text(f"{lng:.6f}, {lat:.6f}")
    expect(page.locator("#intake-grid")).to_contain_text(GRID)
    expect(page.locator("#intake-map .leaflet-interactive")).to_have_count(1)

    box.fill("兰城")
    expect(page.get_by_role("listbox").get_by_role("option").first).to_be_visible()
    box.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    box.fill("兰城路")
    road.click()
    page.get_by_label(zh("page.desk.intake.description")).fill("兰城路路灯不亮")
    page.get_by_role("button", name=zh("page.desk.intake.submit")).click()
    done = page.locator("#intake-done")
    expect(done).to_be_visible()
    page.screenshot(path=str(artifacts / "desk-place-registered.png"), full_page=True)
    number = done.inner_text().split()[-1]
    case = page.request.get(f"/api/v1/cases/{number}").json()
    assert case["grid_code"] == GRID
    assert (case["lng"], case["lat"]) == pytest.approx((lng, lat))


def test_the_mediation_and_admin_forms_take_their_location_from_the_search_box(
    page: Any, city: City, people: People, artifacts: Path
) -> None:
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/mediation")
    page.wait_for_selector("#mediation[data-state='ready']")
    box = page.get_by_role("combobox", name=zh("page.place_search.label"))
    box.fill(f"网格{GRID}")
    page.get_by_role("option", name=f"网格{GRID} {zh('page.place_search.kind.grid')}").click()
    expect(page.locator("#reg-region")).to_have_value(GRID)
    page.screenshot(path=str(artifacts / "mediation-place-search.png"), full_page=True)

    lng, lat = city.point_in(GRID)
    made = post_from_page(
        page,
        "/api/v1/registry/key-places",
        {
            "name": "永昌学校",
            "kind": "school",
            "address": {"address": "永昌路1号", "lng": lng, "lat": lat},
        },
    )
    assert made.status == 201, made.text()
    page.goto("/admin")
    page.wait_for_selector("#admin[data-state='ready']")
    box = page.get_by_role("combobox", name=zh("page.place_search.label"))
    box.fill("永昌学校")
    page.get_by_role("option", name=f"永昌学校 {zh('page.place_search.kind.key_place')}").wait_for()
    box.press("ArrowDown")
    box.press("Enter")
    expect(page.locator("#resource-lng")).to_have_value(str(lng))
    expect(page.locator("#resource-lat")).to_have_value(str(lat))
