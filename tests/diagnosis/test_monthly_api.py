"""From cases to the stored report: the worker archives and reports, the API shows each
viewer the grids of their own area."""

from datetime import date, datetime
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.seeds import seed_builtin
from civicgrid.db import make_session_factory
from civicgrid.diagnosis.service import stored
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from civicgrid.worker import analyse
from tests.factories import OTHER_DISTRICT, OTHER_GRID, OWN_GRID, City, People, actor, auth

OCTOBER = datetime.fromisoformat("2026-10-12T03:00:00+00:00")
NOVEMBER = datetime.fromisoformat("2026-11-12T03:00:00+00:00")
FIRST_WORKDAY_OF_DECEMBER = date(2026, 12, 1)


def _report(db: Session, city: City, grid: str, now: datetime) -> None:
    lng, lat = city.point_in(grid)
    intake = Intake(
        description="垃圾满溢", channel="resident", lng=lng, lat=lat, category_code="UM-01-01"
    )
    report_case(db, GridIndex(), intake=intake, actor=actor(Role.RESIDENT), now=now)


@pytest.fixture
def reported_november(db: Session, city: City, engine: Engine, settings: Settings) -> None:
    """Four cases through intake; the worker archives them and, from December's first
    working day (not before), stores November's report."""
    seed_builtin(db)
    _report(db, city, OWN_GRID, OCTOBER)
    _report(db, city, OWN_GRID, NOVEMBER)
    _report(db, city, OWN_GRID, NOVEMBER)
    _report(db, city, OTHER_GRID, NOVEMBER)
    db.commit()
    sessions = make_session_factory(engine)
    root = settings.effective_archive_dir
    before = analyse(sessions, root=root, today=date(2026, 11, 30), done_for="2026-10")
    assert before == "2026-10"
    assert not stored(db, "2026-11")
    done = analyse(sessions, root=root, today=FIRST_WORKDAY_OF_DECEMBER, done_for=before)
    assert done == "2026-11"
    assert stored(db, "2026-11")


@pytest.mark.usefixtures("reported_november")
def test_the_worker_reports_last_month_and_each_viewer_sees_their_own_grids(
    client: TestClient, people: People
):
    own = client.get("/api/v1/analysis/monthly?month=2026-11", headers=auth(client, people.owner))
    other = client.get(
        "/api/v1/analysis/monthly?month=2026-11", headers=auth(client, people.outsider)
    )
    leader = client.get(
        f"/api/v1/analysis/monthly?month=2026-11&region={OTHER_DISTRICT}",
        headers=auth(client, people.leader),
    )

    assert own.status_code == 200, own.text
    body = own.json()
    assert [grid["grid_code"] for grid in body["grids"]] == [OWN_GRID]
    grid = body["grids"][0]
    assert (grid["events"], grid["previous_month"], grid["rank"]) == (2, 1, 1)
    assert grid["month_on_month"] == 1.0
    assert grid["rate_per_1000"] is None
    assert grid["risks"][0]["name"] == "市容与城市管理秩序"
    assert grid["problems"] == f"网格{OWN_GRID}本月共发生2起事件，主要为市容与城市管理秩序。"
    assert [g["grid_code"] for g in other.json()["grids"]] == [OTHER_GRID]
    assert [g["grid_code"] for g in leader.json()["grids"]] == [OTHER_GRID]


@pytest.mark.usefixtures("reported_november")
def test_the_monthly_workbook_carries_the_same_grids_headed_in_chinese(
    client: TestClient, people: People
):
    response = client.get(
        "/api/v1/analysis/monthly.xlsx?month=2026-11", headers=auth(client, people.owner)
    )

    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    grids, risks = book.worksheets
    rows = list(grids.iter_rows(values_only=True))
    assert rows[0][:4] == ("排名", "网格编码", "网格", "本月事件数")
    assert [row[1] for row in rows[1:]] == [OWN_GRID]
    assert rows[1][15] == f"网格{OWN_GRID}本月共发生2起事件，主要为市容与城市管理秩序。"
    assert [row[2] for row in risks.iter_rows(min_row=2, values_only=True)] == [
        "市容与城市管理秩序"
    ]


@pytest.mark.usefixtures("reported_november")
def test_the_monthly_report_refuses_bad_months_other_areas_and_other_roles(
    client: TestClient, people: People
):
    owner = auth(client, people.owner)

    bad_month = client.get("/api/v1/analysis/monthly?month=2026-13", headers=owner)
    missing = client.get("/api/v1/analysis/monthly", headers=owner)
    not_made = client.get("/api/v1/analysis/monthly?month=2026-05", headers=owner)
    elsewhere = client.get(
        f"/api/v1/analysis/monthly?month=2026-11&region={OTHER_DISTRICT}", headers=owner
    )
    staff = client.get("/api/v1/analysis/monthly?month=2026-11", headers=auth(client, people.peer))
    anonymous = client.get("/api/v1/analysis/monthly?month=2026-11")

    assert bad_month.status_code == 422
    assert "2026-13" in bad_month.json()["error"]["message"]
    assert missing.status_code == 422
    assert not_made.status_code == 404
    assert elsewhere.status_code == 404
    assert staff.status_code == 403
    assert anonymous.status_code == 401
