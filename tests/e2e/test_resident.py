"""In a real browser on a phone-sized screen: a resident reports by a map tap, then tracks it."""

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.auth.service import create_department
from civicgrid.cases import feedback, photos
from civicgrid.cases.service import visible_case
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.i18n import translate
from tests.e2e.helpers import PHONE, PHONE_VIEWPORT, tap_own_grid
from tests.factories import OWN_DISTRICT, OWN_STREET, City

pytestmark = pytest.mark.e2e

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
    grid = tap_own_grid(page, city)
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


def staff(role: Role, scope: str, department_id: int | None = None) -> Actor:
    return Actor(
        kind="user", role=role, scope_code=scope, username=role.value, department_id=department_id
    )


def test_resident_reports_with_a_photo_then_rates_the_closed_case(
    page: Any, city: City, db: Session, *, photo_dir: Path, tmp_path: Path, artifacts: Path
) -> None:
    page.set_viewport_size(PHONE_VIEWPORT)
    page.goto("/report")
    page.wait_for_selector("#resident-map[data-state='ready']")

    page.get_by_label("问题描述").fill("人行道井盖松动，踩上去会响")
    jpeg = tmp_path / "scene.jpg"
    Image.new("RGB", (64, 48), "orange").save(jpeg, "JPEG")
    page.get_by_label(translate("page.resident.photo", "zh-CN")).set_input_files(str(jpeg))
    grid = tap_own_grid(page, city)
    page.get_by_label("联系电话（可选）").fill(PHONE)
    with page.expect_response(lambda response: response.url.endswith("/api/v1/cases")) as posted:
        page.get_by_role("button", name="提交上报").click()
    assert posted.value.status == 201, posted.value.text()
    created = posted.value.json()
    assert created["grid_code"] == grid
    number = created["number"]
    page.locator("#case-number").wait_for()
    assert page.locator("#case-number").inner_text() == number
    page.screenshot(path=str(artifacts / "resident-photo-reported.png"), full_page=True)

    # The photo went through the browser's file input into the case, and onto disk.
    dispatcher = staff(Role.DISPATCHER, OWN_STREET)
    case = visible_case(db, dispatcher, number)
    stored = photos.list_photos(db, case)
    assert [photo.purpose for photo in stored] == ["report"]
    assert (stored[0].width, stored[0].height) == (64, 48)
    assert any(photo_dir.rglob(f"{stored[0].sha256}.*"))

    # The centre and the department walk the case to closed, each step by its own role.
    department = create_department(
        db, code="530502-urban", name="城管局", kind="urban_management", region_code=OWN_DISTRICT
    )
    db.commit()
    handler = staff(Role.DEPARTMENT_HANDLER, OWN_DISTRICT, department.id)
    worker = staff(Role.GRID_WORKER, grid[:12])
    steps = [
        (dispatcher, Change(to=Status.ACCEPTED)),
        (dispatcher, Change(to=Status.DISPATCHED, department_id=department.id)),
        (handler, Change(to=Status.CLAIMED)),
        (handler, Change(to=Status.RESOLVED, note="已更换井盖并固定")),
        (worker, Change(to=Status.VERIFIED, note="现场核查：井盖已稳固")),
        (dispatcher, Change(to=Status.CLOSED)),
    ]
    for who, change in steps:
        moved = transition(db, case_id=case.id, change=change, actor=who)
        db.commit()
        assert moved.status == change.to.value

    track = page.locator("#track-form")
    assert track.get_by_label("受理编号").input_value() == number
    track.get_by_label("上报时填写的电话").fill(PHONE)
    track.get_by_role("button", name="查询").click()
    status = page.locator("#track-status")
    status.wait_for()
    assert status.inner_text() == translate("case.status.closed", "zh-CN")
    rating = page.locator("#rating-form")
    rating.wait_for()  # shown only now the case is closed
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    rating.get_by_label(translate("page.resident.rating.4", "zh-CN")).check()
    rating.get_by_label(translate("page.resident.rating.comment", "zh-CN")).fill("处理及时，谢谢")
    rated_url = f"/api/v1/cases/{number}/rating"
    with page.expect_response(lambda response: response.url.endswith(rated_url)) as answered:
        rating.get_by_role("button", name=translate("page.resident.rating.submit", "zh-CN")).click()
    assert answered.value.status == 200, answered.value.text()
    done = page.locator("#rating-done")
    done.wait_for()
    assert done.inner_text() == translate("page.resident.rating.thanks", "zh-CN")
    assert rating.is_hidden()
    assert status.inner_text() == translate("case.status.rated", "zh-CN")
    page.screenshot(path=str(artifacts / "resident-rated.png"), full_page=True)

    db.expire_all()
    case = visible_case(db, dispatcher, number)
    assert case.status == Status.RATED.value
    given = feedback.list_feedback(db, case=case, actor=dispatcher)
    assert [(row.kind, row.rating, row.comment) for row in given] == [
        ("rating", 4, "处理及时，谢谢")
    ]
