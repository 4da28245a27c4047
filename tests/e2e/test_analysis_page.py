"""In a real browser: a leader opens the analysis page, drills from the city down to the
community, finds the planted spike among the month's anomalies with its evidence, and
opens the cases behind it; on a desktop and on a phone."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid.settings import Settings
from tests.e2e.helpers import policy_refusals, record_policy_violations, sign_in, zh
from tests.factories import (
    FLAT_GRID,
    OWN_COMMUNITY,
    OWN_DISTRICT,
    OWN_GRID,
    OWN_STREET,
    SPIKE_CLASS,
    SPIKE_COUNT,
    SPIKE_MONTH,
    City,
    People,
    plant_case_spike,
)

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def spike(db: Session, city: City, engine: Engine, settings: Settings) -> None:
    plant_case_spike(db, city, engine, settings)


def _ready(page: Any, region: str) -> None:
    expect(page.locator("#analysis")).to_have_attribute("data-region", region)
    expect(page.locator("#analysis")).to_have_attribute("data-state", "ready")


def _see_spike_cases(page: Any) -> None:
    anomaly = page.locator(f"#anomalies tr[data-grid='{OWN_GRID}'][data-risk='{SPIKE_CLASS}']")
    anomaly.get_by_role("button", name=zh("page.analysis.see_cases")).click()
    expect(page.locator("#cases-panel")).to_have_attribute("data-state", "ready")
    expect(page.locator("#cases tbody tr")).to_have_count(SPIKE_COUNT)


@pytest.mark.usefixtures("spike")
def test_a_leader_finds_the_planted_spike_and_opens_the_cases_behind_it(
    page: Any, people: People, artifacts: Path
) -> None:
    page.set_viewport_size(DESKTOP)
    record_policy_violations(page)
    sign_in(page, people.leader.username, people.leader.password)
    page.goto("/analysis")
    _ready(page, people.leader.scope_code)
    nav = page.get_by_role("navigation", name=zh("page.nav.label"))
    # A leader's header folds the analysis link under 更多, which shows it holds this page.
    more = nav.locator("summary", has_text=zh("page.nav.more"))
    expect(more).to_have_class("is-current")
    more.click()
    expect(nav.get_by_role("link", name=zh("page.nav.analysis"))).to_have_attribute(
        "aria-current", "page"
    )
    more.click()
    expect(page.locator("#month")).to_have_value(SPIKE_MONTH)
    for code in (OWN_DISTRICT, OWN_STREET, OWN_COMMUNITY):
        page.locator("#drill").select_option(code)
        _ready(page, code)
    path = page.locator("#region-path")
    expect(path).to_contain_text(f"街道{OWN_STREET}")
    expect(path.get_by_role("button", name=f"区{OWN_DISTRICT}")).to_have_attribute(
        "title", zh("page.analysis.code", code=OWN_DISTRICT)
    )

    anomaly = page.locator(f"#anomalies tr[data-grid='{OWN_GRID}'][data-risk='{SPIKE_CLASS}']")
    expect(anomaly).to_contain_text("市容与城市管理秩序")
    expect(anomaly).to_contain_text(f"网格{OWN_GRID}本月市容与城市管理秩序明显高于")
    expect(page.locator(f"#anomalies tr[data-grid='{FLAT_GRID}']")).to_have_count(0)
    expect(page.locator(f"#ranking tr[data-grid='{OWN_GRID}'] td").first).to_have_text("1")
    expect(page.locator("#analysis-map path.leaflet-interactive")).not_to_have_count(0)
    expect(page.locator("#trend-table tbody tr").first).to_contain_text(SPIKE_MONTH)
    expect(page.locator("#export-pdf")).to_have_attribute(
        "href", f"/api/v1/analysis/monthly.pdf?month={SPIKE_MONTH}&region={OWN_COMMUNITY}"
    )
    page.screenshot(path=str(artifacts / "analysis-1366.png"), full_page=True)

    _see_spike_cases(page)
    expect(page.locator("#cases-caption")).to_contain_text(f"共 {SPIKE_COUNT} 件")
    page.screenshot(path=str(artifacts / "analysis-cases-1366.png"), full_page=True)

    # The page's address keeps the month and the area: a phone opens the same view.
    page.set_viewport_size(PHONE)
    page.reload()
    _ready(page, OWN_COMMUNITY)
    page.screenshot(path=str(artifacts / "analysis-390.png"), full_page=True)
    _see_spike_cases(page)
    page.screenshot(path=str(artifacts / "analysis-cases-390.png"), full_page=True)
    assert policy_refusals(page) == []  # the map and the charts need no inline style or script


def test_a_role_that_may_not_read_the_report_is_sent_to_its_workbench(
    page: Any, people: People
) -> None:
    sign_in(page, people.peer.username, people.peer.password)
    page.goto("/analysis")

    expect(page).to_have_url(re.compile(r"/desk$"))
