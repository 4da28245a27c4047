"""In a real browser: the open cases themselves on the command map and the grid map.

Each reader sees the points of their own area; a point's popup names the case (as
text) and opens it on the workbench.
"""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from civicgrid.i18n import translate
from tests.e2e.helpers import post_from_page, sign_in
from tests.factories import OTHER_GRID, OWN_GRID, City, People

pytestmark = pytest.mark.e2e

SIZES = {"laptop": (1366, 768), "big": (1920, 1080), "phone": (390, 844)}
# Leaflet's own events: a popup that does not fit starts an autopan, which ends with moveend.
WATCH_AUTOPAN = """() => {
  const map = document.getElementById('map').leafletMap;
  window.popupPanning = false;
  map.once('autopanstart', () => {
    window.popupPanning = true;
    map.once('moveend', () => { window.popupPanning = false; });
  });
}"""
OTHER_STREET_GRID = "530502002001001"


def report(page: Any, city: City, grid: str) -> str:
    lng, lat = city.point_in(grid)
    response = post_from_page(
        page, "/api/v1/cases", {"description": "<b>路面坑洼</b>", "lng": lng, "lat": lat}
    )
    assert response.status == 201, response.text()
    return str(response.json()["number"])


@pytest.fixture
def numbers(page: Any, city: City) -> dict[str, str]:
    return {grid: report(page, city, grid) for grid in (OWN_GRID, OTHER_STREET_GRID, OTHER_GRID)}


@pytest.mark.parametrize("size", list(SIZES))
def test_the_command_map_draws_the_readers_open_cases(
    page: Any, people: People, numbers: dict[str, str], artifacts: Path, size: str
) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, people.leader.username, people.leader.password)
    page.goto("/command")
    centre = page.locator("#centre[data-cases='ready']")
    expect(centre).to_have_attribute("data-case-points", "3")
    # On a phone too: the big screen stacks into one column there and its map keeps a height.
    markers = page.locator("#command-map .cg-case-point, #command-map .cg-case-cluster")
    expect(markers.first).to_be_visible()
    page.screenshot(path=str(artifacts / f"case-points-command-{size}.png"))


@pytest.mark.parametrize("size", list(SIZES))
def test_a_dispatcher_opens_a_case_from_its_point_on_the_grid_map(
    page: Any, people: People, numbers: dict[str, str], artifacts: Path, size: str
) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/")
    page.wait_for_selector("#map[data-state='ready']")
    expect(page.locator("#map")).to_have_attribute("data-case-points", "1")
    own = numbers[OWN_GRID]
    page.evaluate(WATCH_AUTOPAN)
    page.locator(f".cg-case-point[title='{own}']").click()
    popup = page.locator(".cg-case-popup")
    expect(popup.locator("strong")).to_have_text(own)
    expect(popup).to_contain_text(translate("page.cases_map.open", "zh-CN"))
    # On a phone the popup pans the map to fit; a click while it glides may land on the
    # map behind it, which closes the popup.
    page.wait_for_function("() => !window.popupPanning")
    page.screenshot(path=str(artifacts / f"case-points-grid-{size}.png"))
    popup.get_by_role("link").click()
    page.wait_for_selector("#detail[data-state='ready']")
    expect(page.locator("#detail-number")).to_have_text(own)
