"""In a real browser: sign in as the street dispatcher and see their grids drawn."""

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import sign_in
from tests.factories import People

pytestmark = pytest.mark.e2e

GRIDS_PER_STREET = 16  # 4 communities of 2x2 grids


def test_dispatcher_signs_in_and_sees_their_grids(page: Any, people: People, artifacts: Path):
    with page.expect_response(lambda response: "grids.geojson" in response.url) as grids:
        sign_in(page, people.owner.username, people.owner.password)
    assert grids.value.ok

    grid_map = page.locator("#map")
    page.wait_for_function(
        "() => Number(document.getElementById('map').dataset.gridCount) > 0", timeout=15_000
    )
    assert int(grid_map.get_attribute("data-grid-count")) == GRIDS_PER_STREET
    assert grid_map.get_attribute("data-state") == "ready"
    assert page.locator("#map canvas").count() >= 1
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_text("市域社会治理网格化管理平台").is_visible()
    # The role shows beside the name on wide screens; on a laptop it is in the name's hover.
    assert page.locator(".user-role").text_content() == "综治中心坐席"
    assert "综治中心坐席" in (page.locator(".user-name").get_attribute("title") or "")
    assert page.locator("#scope-name").inner_text().startswith("街道530502001")
    assert page.get_by_text("当前显示网格 16 个").is_visible()
    page.screenshot(path=str(artifacts / "map-owner.png"))

    x, y = _centre_of(grid_map)
    page.mouse.move(x + 20, y + 20)  # off the centre, where four test grids meet
    hovered = page.locator(".cg-info .cg-panel-title").inner_text()
    assert hovered.startswith("网格530502001")
    page.mouse.click(x + 20, y + 20)
    popup = page.locator(".leaflet-popup-content")
    popup.get_by_text("社区").first.wait_for()
    assert popup.locator(".cg-panel-title").inner_text() == hovered
    assert "街道530502001" in popup.inner_text()
    page.screenshot(path=str(artifacts / "map-owner-popup.png"))


def test_sign_in_page_renders_chinese_and_english(page: Any, artifacts: Path):
    page.goto("/login")
    assert page.get_by_role("heading", name="用户登录").is_visible()
    page.screenshot(path=str(artifacts / "login-zh.png"))

    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"


def test_wrong_password_stays_on_the_form(page: Any, people: People, artifacts: Path):
    sign_in(page, people.owner.username, "not-the-password")

    assert page.get_by_text("用户名或密码错误").is_visible()
    assert page.get_by_label("密码").get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(artifacts / "login-error.png"))


def test_sign_out_returns_to_the_form(page: Any, people: People):
    sign_in(page, people.owner.username, people.owner.password)
    page.get_by_role("button", name="退出登录").click()

    page.wait_for_url(re.compile(r"/login$"))
    page.goto("/")
    assert page.url.endswith("/login")


def _centre_of(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
