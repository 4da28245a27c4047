"""In a real browser: community staff plan a grid worker's work and see the month's ranking;
the administrator changes a score weight."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from civicgrid.i18n import translate
from tests.e2e.helpers import sign_in
from tests.factories import City, People, auth
from tests.fieldwork.conftest import Workers, check_in, workers, working_day  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


def zh(message_id: str) -> str:
    return translate(message_id, "zh-CN")


def test_staff_plan_work_and_read_the_ranking_and_the_admin_sets_a_weight(
    page: Any,
    client: Any,
    *,
    city: City,
    people: People,
    workers: Workers,  # noqa: F811
    artifacts: Path,
) -> None:
    headers = {**auth(client, workers.worker), "Idempotency-Key": "day-1"}
    recorded = client.post("/api/v1/fieldwork/records", json=check_in(city), headers=headers)
    assert recorded.status_code == 201, recorded.text

    sign_in(page, people.peer.username, people.peer.password)
    page.goto("/fieldwork")
    page.wait_for_selector("#fieldwork[data-state='ready']")
    # Before the first plan, the table says it is empty rather than show bare headings.
    expect(page.locator("#plans-table td.table-empty")).to_have_text(zh("page.table.empty"))
    plan = page.locator("#plan-form")
    plan.get_by_label(zh("page.fieldwork.col.task")).select_option("household_visit")
    plan.get_by_label(zh("page.fieldwork.col.cadence"), exact=True).select_option("yearly")
    plan.get_by_label(zh("page.fieldwork.col.times")).fill("4")
    plan.get_by_role("button", name=zh("page.fieldwork.plan.add")).click()
    expect(page.locator("#plans-table tbody tr")).to_have_count(1)
    expect(page.locator("#plans-table")).to_contain_text(zh("fieldwork.task.household_visit"))

    scores = page.locator("#scores-form")
    scores.get_by_label(zh("page.fieldwork.month")).fill(f"{working_day():%Y-%m}")
    scores.get_by_role("button", name=zh("page.fieldwork.show")).click()
    expect(page.locator("#scores-table")).to_contain_text("worker")
    page.screenshot(path=str(artifacts / "fieldwork-staff.png"), full_page=True)
    assert page.locator("#weights-form").count() == 0  # weights are the administrator's

    page.get_by_role("button", name=zh("page.header.logout")).click()
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/fieldwork")
    page.wait_for_selector("#fieldwork[data-state='ready']")
    weights = page.locator("#weights-form")
    weights.get_by_label(zh("fieldwork.task.check_in")).fill("2.5")
    with page.expect_response(lambda response: response.request.method == "PUT") as saving:
        weights.get_by_role("button", name=zh("page.fieldwork.weights.save")).click()
    assert saving.value.status == 200
    expect(weights.get_by_label(zh("fieldwork.task.check_in"))).to_have_value("2.5")
    saved = client.get("/api/v1/fieldwork/weights", headers=auth(client, people.admin)).json()
    assert {item["key"]: item["weight"] for item in saved}["check_in"] == 2.5
