"""What the browser tests do over and over: sign in, tap the map, work a case on the desk.

Fixtures (a window per person, a department handler) are in conftest.py.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import expect

from civicgrid.i18n import translate
from tests.factories import OWN_STREET, City

PHONE = "13800138000"
PHONE_VIEWPORT = {"width": 360, "height": 740}


def zh(message_id: str, **params: Any) -> str:
    return translate(message_id, "zh-CN", **params)


def sign_in(page: Any, username: str, password: str) -> None:
    """Sign in through the form and wait for its answer to load.

    A click waits only for a navigation the browser has already asked for; a loaded
    machine may ask for the form's POST after the click returned, and a `goto` at once
    then cancels it, leaving the test signed out (the analysis test failed so once).
    """
    page.goto("/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("登")).click()


def pick_region(box: Any, text: str, code: str) -> None:
    """Type a name (or a code) into a region picker's search box and take the best
    suggestion with Enter; the box then holds the region's name with its code on hover.
    Typing waits while the box is busy naming the code it was opened with."""
    expect(box).not_to_have_attribute("aria-busy", "true", timeout=15_000)
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_attribute("title", code, timeout=15_000)  # a search on the server


def tap_own_grid(page: Any, city: City) -> str:
    """Tap the map at a grid of the owner's street, as a finger would; return the grid's code."""
    grid = next(code for code in sorted(city.grids) if code.startswith(OWN_STREET))
    tap_at(page, *city.point_in(grid))
    return grid


def tap_at(page: Any, lng: float, lat: float) -> None:
    """Tap the resident map where a WGS-84 point is shown."""
    map_box = page.locator("#resident-map")
    map_box.scroll_into_view_if_needed()
    # Close in first: at the city's zoom a pixel spans more than a small grid.
    page.evaluate(
        "([lat, lng]) => document.getElementById('resident-map').leafletMap"
        ".setView([lat, lng], 16)",
        [lat, lng],
    )
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


def open_case(page: Any, number: str) -> None:
    page.get_by_role("button", name=number, exact=True).click()
    page.wait_for_selector("#detail[data-state='ready']")
    assert page.locator("#detail-number").inner_text() == number


def expect_status(page: Any, status: str) -> None:
    expect(page.locator("#detail-status")).to_have_text(zh(f"case.status.{status}"))


def make_move(page: Any, label: str, *, note: str = "", department: str | None = None) -> None:
    page.locator("#moves").get_by_role("button", name=label, exact=True).click()
    dialog = page.locator("#move-dialog")
    if department:
        dialog.get_by_label(zh("page.desk.move.department")).select_option(label=department)
    if note:
        dialog.get_by_label(zh("page.desk.move.note")).fill(note)
    dialog.get_by_role("button", name=zh("page.desk.move.submit")).click()


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


def shots(artifacts: Path, name: str) -> Path:
    """A folder of its own for one journey's screenshots."""
    folder = artifacts / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def post_from_page(page: Any, path: str, data: dict[str, Any]) -> Any:
    """POST with the page's cookies, so also its origin and CSRF token once a page is open
    (a signed-in browser's writes need both, see docs/web-security.md)."""
    headers = {}
    if page.url.startswith("http"):
        parts = urlsplit(page.url)
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        headers = {"Origin": f"{parts.scheme}://{parts.netloc}", "X-CSRF-Token": token}
    return page.request.post(path, data=data, headers=headers)


def record_policy_violations(page: Any) -> None:
    """From the next page on, keep every Content-Security-Policy refusal in
    `window.__refused` (read it with `policy_refusals`)."""
    page.add_init_script(
        "window.__refused = [];"
        "document.addEventListener('securitypolicyviolation', (event) =>"
        " window.__refused.push(`${event.violatedDirective} ${event.blockedURI}`));"
    )


def policy_refusals(page: Any) -> list[str]:
    return list(page.evaluate("window.__refused"))
