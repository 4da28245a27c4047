"""The whole loop on the demo city, with its own accounts (issue 4: journeys on the demo city).

`civicgrid demo` builds the city (real 保山市 districts and townships, generated
township boundaries, communities and grids, departments, routing rules, one
account per role); here it is built through the same service, without its year
of cases, and the loop is walked by the demo's street dispatcher, district
urban-management handler and grid worker.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.app import create_app
from civicgrid.auth.models import Department
from civicgrid.demo.service import DemoParameters, build_demo
from civicgrid.geo.models import Region
from civicgrid.settings import Settings, get_settings
from tests.e2e.helpers import Cast, shots, sign_in, tap_at, walk_the_loop

pytestmark = pytest.mark.e2e

Account = dict[str, Any]


@pytest.fixture
def demo_accounts(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Account]]:
    """The demo city on this test's database; its model and photos go to this test's folder."""
    monkeypatch.setenv("CIVICGRID_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    result = build_demo(
        db,
        DemoParameters("530500", grid_count=200, seed=1, shared_data=False),
        shared_data=None,
        accounts_path=tmp_path / "data" / "demo-accounts.json",
    )
    yield json.loads(result.accounts_path.read_text())["accounts"]
    get_settings.cache_clear()


def one(accounts: list[Account], role: str, *, scope_digits: int, ending: str = "") -> Account:
    return next(
        account
        for account in accounts
        if account["role"] == role
        and len(account["scope_code"]) == scope_digits
        and account["username"].endswith(ending)
    )


@pytest.fixture
def app(settings: Settings, demo_accounts: list[Account]) -> Iterator[FastAPI]:
    """The app on the demo city instead of the small test city."""
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


def test_the_loop_on_the_demo_city_with_its_own_accounts(
    window: Any,
    db: Session,
    demo_accounts: list[Account],
    *,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    dispatcher = one(demo_accounts, "dispatcher", scope_digits=9)
    worker = one(demo_accounts, "grid_worker", scope_digits=15)
    handler = one(demo_accounts, "department_handler", scope_digits=6, ending="urban_management")
    grid = db.get(Region, worker["scope_code"])
    assert grid is not None
    assert grid.center_lng is not None
    assert grid.center_lat is not None
    assert grid.code.startswith(dispatcher["scope_code"])
    department = db.scalar(select(Department).where(Department.code == handler["department"]))
    assert department is not None
    lng, lat = grid.center_lng, grid.center_lat
    cast = Cast(
        dispatcher=(dispatcher["username"], dispatcher["password"]),
        handler=(handler["username"], handler["password"]),
        worker=(worker["username"], worker["password"]),
        department=department.name,
        tap=lambda page: tap_at(page, lng, lat),
    )
    walk_the_loop(window, cast, tmp_path=tmp_path, shots=shots(artifacts, "demo-journey"))


def test_a_street_dispatcher_s_pages_name_the_real_township(
    window: Any, demo_accounts: list[Account], artifacts: Path
) -> None:
    dispatcher = next(
        account
        for account in demo_accounts
        if account["role"] == "dispatcher" and account["scope_code"] == "530502001"
    )
    assert dispatcher["scope_name"] == "兰城街道"
    page = window()

    sign_in(page, dispatcher["username"], dispatcher["password"])
    page.goto("/desk")

    expect(page.locator(".user-name")).to_have_text("兰城街道综治中心坐席")
    page.screenshot(path=str(shots(artifacts, "demo-township") / "desk-header.png"))


# A region code as the demo city's regions carry them (5305 then 2, 5, 8 or 11 digits),
# not inside an identifier built on one: a username (worker.530502001002015) or a
# department's code (530502-urban_management), shown beside their names.
REGION_CODE = re.compile(r"(?<![\d.])5305\d{2}(?:\d{3}){0,3}(?![\d-])")
REVIEW_SIZES = ((1366, 768), (1920, 1080), (390, 844))


def review_pages(page: Any, folder: Path, role: str) -> dict[str, list[str]]:
    """Every page in the reader's header at the three sizes: a screenshot of each, and the
    region codes its visible text shows (a name exists for every region of the demo city),
    and any size at which the page is wider than the screen (it must never scroll sideways)."""
    page.goto("/desk")
    paths = page.eval_on_selector_all(
        ".app-nav a", "(links) => links.map((link) => link.getAttribute('href'))"
    )
    found: dict[str, list[str]] = {}
    for path in paths:
        page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(path)
        expect(page.locator("[data-state='loading']")).to_have_count(0, timeout=20_000)
        name = path.strip("/") or "map"
        for width, height in REVIEW_SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(folder / f"{role}-{name}-{width}.png"), full_page=True)
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            if wide > width:
                found.setdefault(path, []).append(f"{wide} px wide at {width} px")
        codes = REGION_CODE.findall(page.inner_text("body"))
        if codes:
            found.setdefault(path, []).extend(sorted(set(codes)))
    return found


def test_no_staff_page_shows_a_region_code_or_scrolls_sideways(
    window: Any, demo_accounts: list[Account], artifacts: Path
) -> None:
    folder = shots(artifacts, "demo-review")
    readers = {
        "admin": one(demo_accounts, "admin", scope_digits=6),
        "leader": one(demo_accounts, "leader", scope_digits=6),
        "dispatcher": one(demo_accounts, "dispatcher", scope_digits=9),
        "mediator": one(demo_accounts, "mediator", scope_digits=9),
    }
    shown = {}
    for role, account in readers.items():
        page = window()
        sign_in(page, account["username"], account["password"])
        shown[role] = review_pages(page, folder, role)
    assert shown == {role: {} for role in readers}
