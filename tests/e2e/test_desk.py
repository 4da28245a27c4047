"""In a real browser: the dispatcher's workbench and the department handler's queue.

A report arrives; the street dispatcher sees it appear in the intake queue,
accepts it and dispatches it to the department; the handler finds it in their
own queue, claims it, is refused resolving without evidence, and resolves with
an evidence photo. Screenshots of each step land in test-artifacts/e2e.
"""

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.e2e.helpers import expect_status, make_move, open_case, post_from_page, sign_in, zh
from tests.factories import PASSWORD, City, People

pytestmark = pytest.mark.e2e

GRID = "530502001001001"


def report(page: Any, city: City, description: str) -> str:
    lng, lat = city.point_in(GRID)
    response = post_from_page(
        page, "/api/v1/cases", {"description": description, "lng": lng, "lat": lat}
    )
    assert response.status == 201, response.text()
    return str(response.json()["number"])


def test_dispatcher_and_handler_take_a_case_from_intake_to_resolved(
    page: Any,
    city: City,
    people: People,
    handler: str,
    *,
    photo_dir: Path,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    first_render_ms = page.evaluate("performance.now()")
    assert page.locator("#queue-empty").is_visible()

    number = report(page, city, "人行道井盖松动")
    # The queue refreshes on its own: the new report appears without reloading the page.
    page.get_by_role("button", name=number, exact=True).wait_for(timeout=30_000)
    open_case(page, number)
    page.screenshot(path=str(artifacts / "desk-intake.png"), full_page=True)

    make_move(page, zh("case.move.accepted"))
    expect_status(page, "accepted")
    make_move(page, zh("case.move.dispatched"), department="城管局")
    expect_status(page, "dispatched")
    assert page.locator("#timeline li").count() == 3
    page.screenshot(path=str(artifacts / "desk-dispatched.png"), full_page=True)

    page.get_by_role("button", name=zh("page.header.logout")).click()
    sign_in(page, handler, PASSWORD)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    assert (
        page.get_by_role("tab", name=zh("page.desk.tab.mine")).get_attribute("aria-selected")
        == "true"
    )
    page.screenshot(path=str(artifacts / "desk-handler-queue.png"), full_page=True)
    open_case(page, number)
    make_move(page, zh("case.move.claimed"))
    expect_status(page, "claimed")

    # Resolving with neither a note nor a photo is refused at the form, in Chinese.
    make_move(page, zh("case.move.resolved"))
    error = page.locator("#move-form .form-error")
    error.wait_for()
    assert "凭证" in error.inner_text() or "说明" in error.inner_text()

    evidence = tmp_path / "fixed.jpg"
    Image.new("RGB", (64, 48), "green").save(evidence, "JPEG")
    page.locator("#move-dialog").get_by_label(zh("page.desk.move.evidence")).set_input_files(
        str(evidence)
    )
    page.locator("#move-dialog").get_by_role("button", name=zh("page.desk.move.submit")).click()
    expect_status(page, "resolved")
    assert page.locator("#photos img").count() == 1
    page.screenshot(path=str(artifacts / "desk-resolved.png"), full_page=True)
    print(f"workbench first render (queue ready): {first_render_ms:.0f} ms")


def test_an_outsider_sees_an_empty_queue(page: Any, city: City, people: People) -> None:
    report(page, city, "路灯不亮")
    sign_in(page, people.outsider.username, people.outsider.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    assert page.locator("#queue-table tbody tr").count() == 0
    assert page.locator("#queue-empty").is_visible()


def test_a_case_opened_after_another_is_not_overdrawn_by_the_first_ones_late_answer(
    page: Any, city: City, people: People
) -> None:
    sign_in(page, people.owner.username, people.owner.password)
    slow = report(page, city, "第一件：路灯不亮")
    fast = report(page, city, "第二件：井盖松动")
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    held: list[Any] = []
    # The first case's own answer is held back until the second case is shown.

    def hold(route: Any) -> None:
        held.append(route)

    page.route(f"**/api/v1/cases/{slow}", hold)
    page.get_by_role("button", name=slow, exact=True).click()
    for _ in range(50):  # the click's request reaches the route (held, not answered)
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the first case's request never left"
    open_case(page, fast)
    held[0].continue_()
    page.wait_for_timeout(500)  # the late answer arrives and must draw nothing
    assert page.locator("#detail-number").inner_text() == fast
    assert page.locator("#detail-description").inner_text() == "第二件：井盖松动"
    assert page.locator("#detail").get_attribute("data-state") == "ready"
