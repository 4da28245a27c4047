"""In a real browser: a district's leader switches the analysis map to H3 hexagons, reads
the hot spots and the weekly hours, drills from a hexagon to its cases, charts risk classes
month by month (暂无数据 when a class has none) and reads the month's safe-place list with
its workbook; at 1366×768, 1920×1080 and 390×844, never seeing another district."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h3
import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.seeds import seed_builtin
from civicgrid.geo.service import GridIndex
from civicgrid.hexcells import CELL_RESOLUTION
from civicgrid.registry.addresses import AddressInput, ensure_addresses
from civicgrid.settings import Settings
from tests.e2e.helpers import policy_refusals, record_policy_violations, sign_in, zh
from tests.factories import (
    FLAT_GRID,
    OTHER_GRID,
    OWN_DISTRICT,
    OWN_GRID,
    SPIKE_CATEGORY,
    SPIKE_CLASS,
    SPIKE_COUNT,
    SPIKE_MONTH,
    AuthedUser,
    City,
    actor,
    district_leader,
    plant_case_spike,
)

pytestmark = pytest.mark.e2e

SIZES = (
    {"width": 1366, "height": 768},
    {"width": 1920, "height": 1080},
    {"width": 390, "height": 844},
)
OWN_COMPOUND, FOREIGN_COMPOUND = "正阳北路12号", "解放路8号"
FOREIGN_CASES = 3
EMPTY_CLASS = "gambling"  # no event of it anywhere


def _cell(point: tuple[float, float]) -> str:
    return h3.latlng_to_cell(point[1], point[0], CELL_RESOLUTION)


@pytest.fixture
def leader(db: Session, city: City, engine: Engine, settings: Settings) -> AuthedUser:
    """The planted spike of the own district, a compound in each district, and three
    rubbish reports in the other district the same month, archived and reported."""
    seed_builtin(db)
    own, foreign = city.point_in(OWN_GRID), city.point_in(OTHER_GRID)
    ensure_addresses(
        db,
        [
            AddressInput(f"{OWN_COMPOUND}3栋", lng=own[0], lat=own[1]),
            AddressInput(f"{FOREIGN_COMPOUND}2栋", lng=foreign[0], lat=foreign[1]),
        ],
        grid_index=GridIndex(),
    )
    for _ in range(FOREIGN_CASES):
        intake = Intake(
            description="垃圾堆放没人清",
            channel="resident",
            lng=foreign[0],
            lat=foreign[1],
            category_code=SPIKE_CATEGORY,
        )
        when = datetime(2026, 11, 12, 3, tzinfo=UTC)
        report_case(db, GridIndex(), intake=intake, actor=actor(Role.RESIDENT), now=when)
    plant_case_spike(db, city, engine, settings)
    return district_leader(db, OWN_DISTRICT)


def _ready(page: Any, view: str) -> None:
    analysis = page.locator("#analysis")
    expect(analysis).to_have_attribute("data-view", view)
    expect(analysis).to_have_attribute("data-state", "ready")


def _hexagons(page: Any) -> None:
    page.locator("#map-view").select_option("hexagons")
    _ready(page, "hexagons")


def test_a_district_leader_reads_hexagons_class_trends_and_safe_places(
    page: Any, city: City, leader: AuthedUser, artifacts: Path
) -> None:
    own_cell, flat_cell = _cell(city.point_in(OWN_GRID)), _cell(city.point_in(FLAT_GRID))
    foreign_cell = _cell(city.point_in(OTHER_GRID))
    page.set_viewport_size(SIZES[0])
    record_policy_violations(page)
    sign_in(page, leader.username, leader.password)
    page.goto("/analysis")
    _ready(page, "grids")
    expect(page.locator("#month")).to_have_value(SPIKE_MONTH)

    _hexagons(page)
    expect(page.locator(f"#analysis-map path[data-cell='{own_cell}']")).to_have_count(1)
    expect(page.locator(f"#analysis-map path[data-cell='{flat_cell}']")).to_have_count(1)
    expect(page.locator(f"#analysis-map path[data-cell='{foreign_cell}']")).to_have_count(0)
    expect(page.locator("#hex-caption")).to_contain_text(f"共 {SPIKE_COUNT + 1} 件")
    expect(page.locator("#hex-list tbody tr")).to_have_count(2)
    expect(page.locator(f"#hex-list tr[data-cell='{own_cell}'] td").nth(1)).to_have_text(
        str(SPIKE_COUNT)
    )
    expect(page.locator("#hours tbody tr")).to_have_count(7)
    # Every report was filed on Thursday 12 November at 11:00 in the city (03:00 UTC).
    thursday = page.locator("#hours tbody tr").nth(3)
    expect(thursday.locator("td").nth(11)).to_have_text(str(SPIKE_COUNT + 1))
    expect(page.locator("#hours-total")).to_contain_text(f"共 {SPIKE_COUNT + 1} 件")
    page.screenshot(path=str(artifacts / "analysis-hexagons-1366.png"), full_page=True)

    page.locator(f"#analysis-map path[data-cell='{own_cell}']").click()
    expect(page.locator("#cases-panel")).to_have_attribute("data-state", "ready")
    expect(page.locator("#cases tbody tr")).to_have_count(SPIKE_COUNT)
    expect(page.locator("#cases-caption")).to_contain_text(
        zh("page.analysis_views.hex.place", cell=own_cell)
    )

    # The month's busiest class is charted at first; a class with no event says so.
    trend = page.locator("#class-trend-table tbody tr").first
    expect(trend).to_contain_text(SPIKE_MONTH)
    expect(trend.locator("td").nth(1)).to_have_text(str(SPIKE_COUNT + 1))
    expect(page.locator("#class-trend-empty")).to_be_hidden()
    page.locator("#class-choice summary").click()
    page.locator(f"#class-boxes input[value='{EMPTY_CLASS}']").check()
    _ready(page, "hexagons")
    expect(page.locator("#class-trend-table thead th")).to_have_count(3)
    page.locator(f"#class-boxes input[value='{SPIKE_CLASS}']").uncheck()
    _ready(page, "hexagons")
    expect(page.locator("#class-trend-empty")).to_be_visible()
    expect(page.locator("#class-trend-empty")).to_have_text("暂无数据")
    expect(page.locator("#class-trend-chart")).to_be_hidden()

    # The safe-place list: the district's communities, then its compounds, never the other's.
    communities = page.locator("#safe-places tbody tr")
    expect(communities).not_to_have_count(0)
    for code in communities.evaluate_all("rows => rows.map(row => row.dataset.place)"):
        assert code.startswith(OWN_DISTRICT)
    expect(page.locator("#safe-summary")).to_contain_text("零发案")
    page.locator("#safe-level").select_option("compound")
    _ready(page, "hexagons")
    expect(page.locator("#safe-places tbody tr")).to_have_count(1)
    expect(page.locator("#safe-places tbody tr")).to_contain_text(OWN_COMPOUND)
    expect(page.locator("#safe-places")).not_to_contain_text(FOREIGN_COMPOUND)
    expect(page.locator("#safe-export")).to_have_attribute(
        "href",
        f"/api/v1/analysis/safe-places.xlsx?month={SPIKE_MONTH}&region={OWN_DISTRICT}&level=compound",
    )
    page.screenshot(path=str(artifacts / "analysis-views-1366.png"), full_page=True)

    for size in SIZES[1:]:
        page.set_viewport_size(size)
        page.reload()
        _ready(page, "grids")
        _hexagons(page)
        expect(page.locator(f"#analysis-map path[data-cell='{own_cell}']")).to_have_count(1)
        page.screenshot(path=str(artifacts / f"analysis-views-{size['width']}.png"), full_page=True)
    # On the phone the list under the map opens the same cases as a tap on the hexagon.
    row = page.locator(f"#hex-list tr[data-cell='{own_cell}']")
    row.get_by_role("button", name=zh("page.analysis.see_cases")).click()
    expect(page.locator("#cases-panel")).to_have_attribute("data-state", "ready")
    expect(page.locator("#cases tbody tr")).to_have_count(SPIKE_COUNT)
    page.screenshot(path=str(artifacts / "analysis-hexagon-cases-390.png"), full_page=True)
    assert policy_refusals(page) == []
