"""In a real browser on a phone-sized screen: a resident reports by a map tap, then tracks it."""

import re
from pathlib import Path
from typing import Any

import pytest

from civicgrid.i18n import translate
from tests.factories import OWN_STREET, City

pytestmark = pytest.mark.e2e

PHONE = "13800138000"
PHONE_VIEWPORT = {"width": 360, "height": 740}
CASE_NUMBER = re.compile(r"^\S{6,24}$")


def test_resident_reports_by_map_tap_and_tracks_the_case(
    page: Any, city: City, artifacts: Path
) -> None:
    page.set_viewport_size(PHONE_VIEWPORT)
    page.goto("/report")
    page.wait_for_selector("#resident-map[data-state='ready']")
    # From the navigation's start to the map being ready, by the page's own clock.
    first_render_ms = page.evaluate("performance.now()")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]

    page.get_by_label("问题描述").fill("小区门口路灯不亮")
    grid = next(code for code in sorted(city.grids) if code.startswith(OWN_STREET))
    lng, lat = city.point_in(grid)
    map_box = page.locator("#resident-map")
    map_box.scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([lat, lng]) => {
            const point = document.getElementById('resident-map').leafletMap
                .latLngToContainerPoint([lat, lng]);
            return [point.x, point.y];
        }""",
        [lat, lng],
    )
    box = map_box.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    assert page.locator("#location-value").inner_text().startswith("已选位置")
    page.get_by_label("联系电话（可选）").fill(PHONE)
    with page.expect_response(lambda response: response.url.endswith("/api/v1/cases")) as posted:
        page.get_by_role("button", name="提交上报").click()
    assert posted.value.status == 201
    created = posted.value.json()
    assert created["channel"] == "resident"
    assert created["grid_code"] == grid

    number = page.locator("#case-number")
    number.wait_for()
    assert number.inner_text() == created["number"]
    assert CASE_NUMBER.match(number.inner_text())
    page.screenshot(path=str(artifacts / "resident-reported.png"), full_page=True)

    track = page.locator("#track-form")
    assert track.get_by_label("受理编号").input_value() == created["number"]
    track.get_by_label("上报时填写的电话").fill(PHONE)
    track.get_by_role("button", name="查询").click()
    status = page.locator("#track-status")
    status.wait_for()
    assert status.inner_text() == translate(f"case.status.{created['status']}", "zh-CN")
    assert page.locator("#track-timeline li").count() >= 1
    assert page.locator("#rating-form").is_hidden()  # rating only once the case is closed
    page.screenshot(path=str(artifacts / "resident-tracked.png"), full_page=True)
    print(f"resident page first render (map ready): {first_render_ms:.0f} ms")
