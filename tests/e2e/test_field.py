"""In a real browser on a phone: the grid worker's app works offline and sends each report once.

The worker opens the app, checks in, loses the connection, reports twice (one
fixed on the spot), comes back online, and exactly two cases appear, the
fixed one self-resolved. The app also opens again with no connection at all.
"""

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases.models import Case
from tests.e2e.helpers import sign_in
from tests.factories import PASSWORD, City, until

pytestmark = pytest.mark.e2e

GRID = "530502001001001"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def worker(db: Session) -> str:
    auth_service.create_user(
        db, username="worker", password=PASSWORD, role=Role.GRID_WORKER, scope_code=GRID
    )
    db.commit()
    return "worker"


@pytest.fixture
def phone(browser: Any, live_server: str, city: City) -> Any:
    lng, lat = city.point_in(GRID)
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport=PHONE,
        geolocation={"longitude": lng, "latitude": lat, "accuracy": 10},
        permissions=["geolocation"],
        service_workers="allow",
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def outbox_count(page: Any) -> Any:
    return page.locator("#outbox-count")


def cases_of_worker(db: Session) -> list[Case]:
    db.expire_all()
    return list(db.scalars(select(Case).where(Case.channel == "grid_worker").order_by(Case.id)))


def record_types(page: Any, *, within_s: float = 20.0) -> list[str]:
    """The worker's records as the server has them, once the outbox has sent any."""
    deadline = time.monotonic() + within_s
    while True:
        found = [
            record["task_type"] for record in page.request.get("/api/v1/fieldwork/records").json()
        ]
        if found or time.monotonic() > deadline:
            return found
        page.wait_for_timeout(200)


def report(page: Any, description: str, *, fixed: str | None = None) -> None:
    form = page.locator("#report-form")
    form.get_by_label("事件描述").fill(description)
    if fixed:
        form.get_by_label("已现场处置").check()
        form.get_by_label("处置情况").fill(fixed)
    form.get_by_role("button", name="提交").click()
    expect(page.locator("#report-done")).to_be_visible()


def test_reports_made_offline_arrive_once_each_when_the_phone_is_back_online(
    phone: Any, db: Session, worker: str, artifacts: Path
) -> None:
    sign_in(phone, worker, PASSWORD)
    phone.goto("/field")
    phone.wait_for_selector("#field[data-state='ready']")
    first_render_ms = phone.evaluate("performance.now()")
    expect(phone.locator("#location-state")).to_contain_text("已获取位置")

    phone.get_by_role("button", name="签到").click()
    expect(phone.locator("#location-state")).to_have_text("签到已记录")
    assert record_types(phone) == ["check_in"]
    expect(outbox_count(phone)).to_have_text("(0)")

    phone.context.set_offline(True)
    expect(phone.locator("#net-state")).to_have_attribute("data-online", "false")
    report(phone, "路边垃圾堆积")
    report(phone, "井盖破损，已设置警示", fixed="已放置警示锥并通知维修")
    expect(outbox_count(phone)).to_have_text("(2)")
    assert cases_of_worker(db) == []
    phone.screenshot(path=str(artifacts / "field-offline.png"), full_page=True)

    phone.context.set_offline(False)
    expect(outbox_count(phone)).to_have_text("(0)", timeout=30_000)
    # Every trigger (the online event, the timer, each submit) may flush again: still two.
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    phone.wait_for_timeout(1000)
    arrived = cases_of_worker(db)
    assert [case.description for case in arrived] == ["路边垃圾堆积", "井盖破损，已设置警示"]
    assert [case.status for case in arrived] == ["reported", "self_resolved"]
    assert all(case.grid_code == GRID for case in arrived)
    phone.screenshot(path=str(artifacts / "field-synced.png"), full_page=True)
    print(f"grid-worker app first render: {first_render_ms:.0f} ms")


SHELL_CACHED = """async () => navigator.serviceWorker.controller !== null
    && (await caches.open('civicgrid-field-v1').then((c) => c.match('/field'))) !== undefined"""


def test_the_app_opens_with_no_connection_once_installed(
    phone: Any, worker: str, artifacts: Path
) -> None:
    sign_in(phone, worker, PASSWORD)
    phone.goto("/field")
    phone.wait_for_selector("#field[data-state='ready']")
    # The page itself, not only assets the worker kept as they were fetched: a loaded
    # machine may have cached three scripts and styles before the shell's list landed.
    # Polled from here: a page function's promise is truthy before it resolves, so
    # wait_for_function would return at once, whatever the cache held.
    until(lambda: phone.evaluate(SHELL_CACHED), "the worker to keep the page itself")
    phone.context.set_offline(True)
    phone.reload()
    phone.wait_for_selector("#field[data-state='ready']")
    expect(phone.locator("#net-state")).to_have_attribute("data-online", "false")
    manifest = phone.evaluate("document.querySelector('link[rel=manifest]').href")
    assert manifest.endswith("/field/manifest.webmanifest")
    phone.screenshot(path=str(artifacts / "field-offline-reload.png"), full_page=True)
