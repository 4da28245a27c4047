"""The whole loop in real browsers, each role in its own window (issue 4, done means).

A resident reports with a photo and a map tap; the street dispatcher sees it
arrive on the workbench without reloading and dispatches it; the department's
handler claims it and resolves it with an evidence photo; the grid worker
verifies it on the spot; the dispatcher closes it; the resident rates it.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.i18n import translate
from tests.e2e.test_desk import expect_status, handler, make_move, open_case  # noqa: F401
from tests.e2e.test_map import sign_in
from tests.e2e.test_resident import PHONE, PHONE_VIEWPORT, photo_store, tap_own_grid  # noqa: F401
from tests.factories import PASSWORD, City, People

pytestmark = pytest.mark.e2e


def zh(message_id: str, **params: Any) -> str:
    return translate(message_id, "zh-CN", **params)


@pytest.fixture
def window(browser: Any, live_server: str) -> Iterator[Any]:
    """A new browser window (its own cookies) for each person taking part."""
    contexts: list[Any] = []

    def open_window(**options: Any) -> Any:
        context = browser.new_context(base_url=live_server, locale="zh-CN", **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield open_window
    for context in contexts:
        context.close()


def staff_window(window: Any, username: str, password: str) -> Any:
    page = window(viewport={"width": 1366, "height": 800})
    sign_in(page, username, password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    return page


@dataclass(frozen=True)
class Cast:
    """Who walks the loop: (username, password) of each staff role, and where it happens."""

    dispatcher: tuple[str, str]
    handler: tuple[str, str]
    worker: tuple[str, str]
    department: str  # the name the dispatcher picks in the dispatch dialog
    tap: Callable[[Any], None]  # taps the worker's grid on the resident's map


def walk_the_loop(window: Any, cast: Cast, *, tmp_path: Path, shots: Path) -> None:
    dispatcher = staff_window(window, *cast.dispatcher)

    resident = window(viewport=PHONE_VIEWPORT)
    resident.goto("/report")
    resident.wait_for_selector("#resident-map[data-state='ready']")
    resident.get_by_label("问题描述").fill("人行道井盖松动，踩上去会响")
    scene = tmp_path / "scene.jpg"
    Image.new("RGB", (64, 48), "orange").save(scene, "JPEG")
    resident.get_by_label(zh("page.resident.photo")).set_input_files(str(scene))
    cast.tap(resident)
    resident.get_by_label("联系电话（可选）").fill(PHONE)
    resident.get_by_role("button", name="提交上报").click()
    resident.locator("#case-number").wait_for()
    number = resident.locator("#case-number").inner_text()
    resident.screenshot(path=str(shots / "1-resident.png"), full_page=True)

    # The workbench refreshes on its own: the report appears without a reload.
    dispatcher.get_by_role("button", name=number, exact=True).wait_for(timeout=30_000)
    open_case(dispatcher, number)
    assert dispatcher.locator("#photos img").count() == 1
    make_move(dispatcher, zh("case.move.accepted"))
    expect_status(dispatcher, "accepted")
    make_move(dispatcher, zh("case.move.dispatched"), department=cast.department)
    expect_status(dispatcher, "dispatched")
    dispatcher.screenshot(path=str(shots / "2-dispatched.png"), full_page=True)

    department = staff_window(window, *cast.handler)
    open_case(department, number)
    make_move(department, zh("case.move.claimed"))
    expect_status(department, "claimed")
    evidence = tmp_path / "fixed.jpg"
    Image.new("RGB", (64, 48), "green").save(evidence, "JPEG")
    department.locator("#moves").get_by_role("button", name=zh("case.move.resolved")).click()
    dialog = department.locator("#move-dialog")
    dialog.get_by_label(zh("page.desk.move.evidence")).set_input_files(str(evidence))
    dialog.get_by_label(zh("page.desk.move.note")).fill("已更换井盖并固定")
    dialog.get_by_role("button", name=zh("page.desk.move.submit")).click()
    expect_status(department, "resolved")
    department.screenshot(path=str(shots / "3-resolved.png"), full_page=True)

    worker = staff_window(window, *cast.worker)
    expect(worker.get_by_role("tab", name=zh("page.desk.tab.to_verify"))).to_have_attribute(
        "aria-selected", "true"
    )
    open_case(worker, number)
    make_move(worker, zh("case.move.verified"), note="现场核查：井盖已稳固")
    expect_status(worker, "verified")
    worker.screenshot(path=str(shots / "4-verified.png"), full_page=True)

    dispatcher.get_by_role("tab", name=zh("page.desk.tab.to_close")).click()
    open_case(dispatcher, number)
    make_move(dispatcher, zh("case.move.closed"))
    expect_status(dispatcher, "closed")

    track = resident.locator("#track-form")
    track.get_by_label("上报时填写的电话").fill(PHONE)
    track.get_by_role("button", name="查询").click()
    expect(resident.locator("#track-status")).to_have_text(zh("case.status.closed"))
    rating = resident.locator("#rating-form")
    rating.get_by_label(zh("page.resident.rating.4")).check()
    rating.get_by_role("button", name=zh("page.resident.rating.submit")).click()
    expect(resident.locator("#track-status")).to_have_text(zh("case.status.rated"))
    resident.screenshot(path=str(shots / "5-rated.png"), full_page=True)

    steps = dispatcher.locator("#timeline li").all()
    assert len(steps) == 7  # reported, accepted, dispatched, claimed, resolved, verified, closed


def test_a_report_travels_from_the_resident_through_every_role_and_back(
    window: Any,
    city: City,
    people: People,
    db: Any,
    handler: str,  # noqa: F811
    *,
    photo_store: Path,  # noqa: F811
    tmp_path: Path,
    artifacts: Path,
) -> None:
    grid = next(code for code in sorted(city.grids) if code.startswith("530502001"))
    auth_service.create_user(
        db, username="gridworker", password=PASSWORD, role=Role.GRID_WORKER, scope_code=grid
    )
    db.commit()
    cast = Cast(
        dispatcher=(people.owner.username, people.owner.password),
        handler=(handler, PASSWORD),
        worker=("gridworker", PASSWORD),
        department="城管局",
        tap=lambda page: _tap_test_city(page, city, grid),
    )
    walk_the_loop(window, cast, tmp_path=tmp_path, shots=_shots(artifacts, "journey"))


def _tap_test_city(page: Any, city: City, grid: str) -> None:
    assert tap_own_grid(page, city) == grid


def _shots(artifacts: Path, name: str) -> Path:
    folder = artifacts / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
