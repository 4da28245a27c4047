"""In a real browser: the workbench queue's column filters, order and Excel export."""

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.e2e.helpers import pick_region, post_from_page, sign_in, zh
from tests.factories import OTHER_GRID, OWN_GRID, OWN_STREET, PASSWORD, City

pytestmark = pytest.mark.e2e

SIZES = {"laptop": (1366, 768), "big": (1920, 1080), "phone": (390, 844)}
OTHER_STREET_GRID = "530502002001001"


def report(page: Any, city: City, grid: str) -> str:
    lng, lat = city.point_in(grid)
    response = post_from_page(
        page, "/api/v1/cases", {"description": "占道经营", "lng": lng, "lat": lat}
    )
    assert response.status == 201, response.text()
    return str(response.json()["number"])


@pytest.fixture
def city_dispatcher(db: Session, city: City) -> str:
    auth_service.create_user(
        db, username="centre", password=PASSWORD, role=Role.DISPATCHER, scope_code=city.code
    )
    db.commit()
    return "centre"


@pytest.mark.parametrize("size", list(SIZES))
def test_a_dispatcher_narrows_orders_and_exports_the_queue(
    page: Any, city: City, city_dispatcher: str, artifacts: Path, size: str
) -> None:
    made = [report(page, city, grid) for grid in (OWN_GRID, OTHER_STREET_GRID, OTHER_GRID)]
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, city_dispatcher, PASSWORD)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    rows = page.locator("#queue-table tbody tr")
    expect(rows).to_have_count(3)

    filters = page.locator("#queue-filters")
    filters.locator("select[name=sort]").select_option("created")
    expect(rows.first).to_contain_text(made[0])
    pick_region(filters.get_by_label(zh("page.faces_map.filters.region")), OWN_STREET, OWN_STREET)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(made[0])
    page.screenshot(path=str(artifacts / f"desk-filters-{size}.png"), full_page=True)

    href = page.locator("#queue-export").get_attribute("href") or ""
    assert href.startswith("/api/v1/cases/export.xlsx?")
    assert f"region={OWN_STREET}" in href
    assert "sort=created" in href
    with page.expect_download() as download:
        page.locator("#queue-export").click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet is not None
    exported = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert exported == [made[0]]


def test_a_saved_filter_comes_back_after_the_page_is_opened_again(
    page: Any, city: City, city_dispatcher: str, artifacts: Path
) -> None:
    made = [report(page, city, grid) for grid in (OWN_GRID, OTHER_STREET_GRID, OTHER_GRID)]
    sign_in(page, city_dispatcher, PASSWORD)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    rows = page.locator("#queue-table tbody tr")
    filters = page.locator("#queue-filters")
    pick_region(filters.get_by_label(zh("page.faces_map.filters.region")), OWN_STREET, OWN_STREET)
    expect(rows).to_have_count(1)
    page.locator("#saved-filter-name").fill("本街道")
    page.locator("#saved-filter-save").click()
    expect(page.locator("#saved-filter option", has_text="本街道")).to_have_count(1)

    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    expect(rows).to_have_count(3)
    expect(page.locator("#saved-filter option", has_text="本街道")).to_have_count(1)
    page.locator("#saved-filter").select_option(label="本街道")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(made[0])
    expect(filters.locator("input[name=region]")).to_have_value(OWN_STREET)
    page.screenshot(path=str(artifacts / "desk-saved-filter.png"), full_page=True)


def test_the_dispatcher_prints_a_cases_dispatch_sheet_from_the_workbench(
    page: Any, city: City, city_dispatcher: str, artifacts: Path
) -> None:
    number = report(page, city, OWN_GRID)
    sign_in(page, city_dispatcher, PASSWORD)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    page.get_by_role("button", name=number, exact=True).click()
    page.wait_for_selector("#detail[data-state='ready']")
    href = page.locator("#sheet-dispatch").get_attribute("href") or ""
    assert href == f"/desk/cases/{number}/sheets/dispatch"
    page.goto(href)
    expect(page.locator("#sheet h1")).to_have_text("交办单")
    expect(page.locator("#sheet")).to_contain_text(number)
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts / "case-dispatch-sheet.png"), full_page=True)
