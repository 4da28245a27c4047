"""The monthly safe-place list (平安小区 / 零发案): made by the worker beside the monthly
report, read inside each caller's area, published once by a leader and fixed from then on."""

from datetime import date, datetime
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AdminChange
from civicgrid.auth.models import Role
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.seeds import seed_builtin
from civicgrid.db import make_session_factory
from civicgrid.geo.service import GridIndex
from civicgrid.registry.addresses import AddressInput, ensure_addresses
from civicgrid.safeplaces.models import SafePlaceList
from civicgrid.safeplaces.production import produce
from civicgrid.settings import Settings
from civicgrid.worker import analyse
from tests.factories import (
    OTHER_DISTRICT,
    OTHER_GRID,
    OWN_COMMUNITY,
    OWN_GRID,
    OWN_STREET,
    AuthedUser,
    City,
    People,
    actor,
    auth,
    district_leader,
)

NOVEMBER = datetime.fromisoformat("2026-11-12T03:00:00+00:00")
THEFT, LITTER = "SG-02-02", "UM-01-01"
# The compounds (house numbers) by the name the list gives them; each gets a building.
ROBBED, LITTERED, FOREIGN, UNLOCATED = ("正阳北路12号", "正阳北路20号", "解放路8号", "幸福路3号")


def _case(db: Session, point: tuple[float, float], category: str) -> None:
    intake = Intake(
        description="小区内发生事件",
        channel="resident",
        lng=point[0],
        lat=point[1],
        category_code=category,
    )
    report_case(db, GridIndex(), intake=intake, actor=actor(Role.RESIDENT), now=NOVEMBER)


@pytest.fixture
def listed_november(db: Session, city: City, engine: Engine, settings: Settings) -> None:
    """Four compounds: one with a theft, one with only litter (not a 平安 class), one in the
    other district with a theft, and one registered without a point."""
    seed_builtin(db)
    robbed, littered = city.point_in(OWN_GRID), city.point_in(f"{OWN_COMMUNITY}002")
    foreign = city.point_in(OTHER_GRID)
    ensure_addresses(
        db,
        [
            AddressInput(f"{ROBBED}3栋", lng=robbed[0], lat=robbed[1]),
            AddressInput(f"{LITTERED}1栋", lng=littered[0], lat=littered[1]),
            AddressInput(f"{FOREIGN}2栋", lng=foreign[0], lat=foreign[1]),
            AddressInput(UNLOCATED, region_code=OWN_GRID),
        ],
        grid_index=GridIndex(),
    )
    _case(db, robbed, THEFT)
    _case(db, littered, LITTER)
    _case(db, foreign, THEFT)
    db.commit()
    root = settings.effective_archive_dir
    done = analyse(make_session_factory(engine), root=root, today=date(2026, 12, 1), done_for=None)
    assert done == "2026-11"


def _places(client: TestClient, person: AuthedUser, level: str) -> dict[str, dict[str, Any]]:
    found = client.get(
        f"/api/v1/analysis/safe-places?month=2026-11&level={level}",
        headers=auth(client, person),
    )
    assert found.status_code == 200, found.text
    return {place["name"]: place for place in found.json()["places"]}


@pytest.mark.usefixtures("listed_november")
def test_each_compound_and_community_of_the_callers_area_gets_its_status(
    client: TestClient, people: People
):
    compounds = _places(client, people.owner, "compound")
    communities = _places(client, people.owner, "community")
    foreign = _places(client, people.outsider, "compound")

    assert {name: (p["status"], p["events"]) for name, p in compounds.items()} == {
        ROBBED: ("not_safe", 1),
        LITTERED: ("safe", 0),
        UNLOCATED: ("unlocated", 0),
    }
    assert compounds[LITTERED]["status_label"] == "零发案"
    own = {p["region_code"]: p["status"] for p in communities.values()}
    assert own[OWN_COMMUNITY] == "not_safe"
    assert {status for code, status in own.items() if code != OWN_COMMUNITY} == {"safe"}
    assert all(code.startswith(OWN_STREET) for code in own)
    assert {name: p["status"] for name, p in foreign.items()} == {FOREIGN: "not_safe"}


@pytest.mark.usefixtures("listed_november")
def test_a_district_leader_lists_and_exports_only_their_districts_places(
    client: TestClient, db: Session, people: People
):
    leader = district_leader(db, OTHER_DISTRICT)
    headers = auth(client, leader)

    compounds = _places(client, leader, "compound")
    communities = _places(client, leader, "community")
    into_own = client.get(
        f"/api/v1/analysis/safe-places?month=2026-11&region={OWN_STREET}", headers=headers
    )
    workbook = client.get(
        "/api/v1/analysis/safe-places.xlsx?month=2026-11&level=compound", headers=headers
    )

    assert set(compounds) == {FOREIGN}
    assert communities
    assert all(p["region_code"].startswith(OTHER_DISTRICT) for p in communities.values())
    assert into_own.status_code == 404
    sheet = load_workbook(BytesIO(workbook.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [FOREIGN]


@pytest.mark.usefixtures("listed_november")
def test_a_leader_publishes_the_list_once_and_it_stays_fixed(
    client: TestClient, people: People, db: Session, settings: Settings
):
    url = f"/api/v1/analysis/safe-places/publish?month=2026-11&region={OWN_STREET}"
    by_dispatcher = client.post(url, headers=auth(client, people.owner))
    by_leader = client.post(url, headers=auth(client, people.leader))
    again = client.post(url, headers=auth(client, people.leader))
    produce(db, root=settings.effective_archive_dir, month="2026-11", classes=("city_appearance",))
    db.commit()

    assert by_dispatcher.status_code == 403
    assert by_leader.status_code == 200, by_leader.text
    assert by_leader.json()["places"] > 0
    assert again.status_code == 409
    assert "已经发布" in again.json()["error"]["message"]
    change = db.scalars(select(AdminChange).where(AdminChange.kind == "safe_place_list")).one()
    assert (change.action, change.region_code) == ("publish", OWN_STREET)
    header = db.get(SafePlaceList, "2026-11")
    assert header is not None
    assert "city_appearance" not in header.classes
    compounds = _places(client, people.owner, "compound")
    assert compounds[LITTERED]["status"] == "safe"
    assert {p["published"] for p in compounds.values()} == {True}


@pytest.mark.usefixtures("listed_november")
def test_the_list_downloads_as_a_workbook_with_chinese_headings(client: TestClient, people: People):
    found = client.get(
        "/api/v1/analysis/safe-places.xlsx?month=2026-11&level=compound",
        headers=auth(client, people.owner),
    )

    assert found.status_code == 200, found.text
    sheet = load_workbook(BytesIO(found.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("名称", "编码", "所在区划", "发案数", "状态", "已发布")
    assert {row[0]: row[4] for row in rows[1:]} == {
        ROBBED: "有发案",
        LITTERED: "零发案",
        UNLOCATED: "未定位",
    }


def test_a_bad_level_or_month_is_refused_in_chinese_and_a_missing_list_is_not_found(
    client: TestClient, people: People
):
    owner = auth(client, people.owner)

    bad_level = client.get("/api/v1/analysis/safe-places?month=2026-11&level=house", headers=owner)
    bad_month = client.get("/api/v1/analysis/safe-places?month=2026-13", headers=owner)
    missing = client.get("/api/v1/analysis/safe-places?month=2026-05", headers=owner)

    assert bad_level.status_code == 422
    assert "层级" in bad_level.json()["error"]["message"]
    assert bad_month.status_code == 422
    assert "2026-13" in bad_month.json()["error"]["message"]
    assert missing.status_code == 404
    assert "尚未生成" in missing.json()["error"]["message"]
