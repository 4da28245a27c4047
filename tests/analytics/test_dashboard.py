"""The command centre's figures: counted inside the viewer's own area, drilled down a level."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.analytics import dashboard
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.cases import live
from civicgrid.cases.service import Intake, report_case
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import utcnow
from tests.factories import OTHER_DISTRICT, OTHER_GRID, OWN_STREET, City, People, auth, report

OWN_GRID = "530502001001001"
OTHER_STREET_GRID = "530502002001001"


@pytest.fixture
def three_cases(client: TestClient, city: City) -> list[str]:
    grids = (OWN_GRID, OTHER_STREET_GRID, OTHER_GRID)
    return [report(client, city, grid=grid).json()["number"] for grid in grids]


def picture(client: TestClient, person, **params) -> dict:
    response = client.get("/api/v1/dashboard", params=params, headers=auth(client, person))
    assert response.status_code == 200, response.text
    return response.json()


def test_leader_street_dispatcher_and_outsider_see_their_own_numbers(
    client: TestClient, people: People, three_cases: list[str]
):
    leader = picture(client, people.leader)
    street = picture(client, people.owner)
    outsider = picture(client, people.outsider)
    assert (leader["open"], street["open"], outsider["open"]) == (3, 1, 1)
    assert (leader["reported_today"], street["reported_today"]) == (3, 1)
    assert street["region"]["code"] == OWN_STREET
    assert outsider["region"]["code"] == OTHER_DISTRICT
    channels = {item["key"]: item["count"] for item in leader["by_channel_today"]}
    assert channels == {"resident": 3}
    assert sum(day["reported"] for day in leader["trend"]) == 3
    assert len(leader["trend"]) == 30


def test_the_city_breaks_down_into_districts_and_a_street_into_communities(
    client: TestClient, people: People, three_cases: list[str]
):
    city = picture(client, people.leader)
    assert city["child_level"] == "district"
    by_district = {child["code"]: child["open"] for child in city["children"]}
    assert by_district == {"530502": 2, "530521": 1}
    street = picture(client, people.leader, region=OWN_STREET)
    assert street["child_level"] == "community"
    assert sum(child["open"] for child in street["children"]) == 1


def test_a_region_outside_the_viewers_area_is_not_found(
    client: TestClient, people: People, three_cases: list[str]
):
    for region in ("530500", OTHER_DISTRICT):
        response = client.get(
            "/api/v1/dashboard", params={"region": region}, headers=auth(client, people.owner)
        )
        assert response.status_code == 404


def test_roles_without_the_picture_are_refused(client: TestClient, people: People):
    response = client.get("/api/v1/dashboard", headers=auth(client, people.peer))
    assert response.status_code == 403
    assert response.json()["error"]["message"]


def test_overdue_cases_are_counted_by_department_when_time_moves_on(
    client: TestClient, db: Session, people: People, three_cases: list[str]
):
    number = three_cases[0]
    headers = auth(client, people.owner)
    client.post(f"/api/v1/cases/{number}/transitions", json={"to": "accepted"}, headers=headers)
    street = Actor(kind="user", role=Role.DISPATCHER, scope_code=OWN_STREET, username="owner")
    assert dashboard.dashboard(db, street).overdue == 0
    later = dashboard.dashboard(db, street, now=utcnow() + timedelta(days=60))
    assert later.overdue == 1
    assert [item.count for item in later.overdue_by_department] == [1]


def test_the_live_stream_sends_new_cases_of_the_readers_area_only(
    client: TestClient, city: City, engine, people: People
):
    sessions = sessionmaker(bind=engine)
    street = Actor(kind="user", role=Role.DISPATCHER, scope_code=OWN_STREET, username="owner")
    report(client, city, grid=OTHER_GRID)
    own = report(client, city, grid=OWN_GRID).json()["number"]

    async def first_event() -> str:
        sent: list[str] = []

        async def enough() -> bool:
            return any("event: case" in text for text in sent)

        async for text in live.case_events(sessions, street, 0, enough, poll_seconds=0.01):
            sent.append(text)
        return "".join(sent)

    # Its own thread: a browser test's Playwright may hold this thread's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        text = pool.submit(asyncio.run, first_event()).result(timeout=30)
    assert own in text
    assert text.count("event: case") == 1
    assert text.startswith("retry:")


def test_the_trend_counts_each_case_on_its_shanghai_day_and_a_grid_adds_up_its_own(
    db: Session, city: City
):
    shanghai = ZoneInfo("Asia/Shanghai")
    late_evening = datetime(2026, 10, 12, 23, 30, tzinfo=shanghai)
    just_after_midnight = datetime(2026, 10, 13, 0, 30, tzinfo=shanghai)
    lng, lat = city.point_in(OWN_GRID)
    reporter = Actor(kind="user", role=Role.DISPATCHER, scope_code=OWN_STREET, username="d")
    for moment in (late_evening, just_after_midnight):
        intake = Intake(description="路灯不亮", channel="hotline_12345", lng=lng, lat=lat)
        report_case(db, GridIndex(), intake=intake, actor=reporter, now=moment)
    db.commit()
    leader = Actor(kind="user", role=Role.LEADER, scope_code=OWN_STREET, username="leader")
    now = datetime(2026, 10, 13, 9, 0, tzinfo=shanghai)
    picture = dashboard.dashboard(db, leader, now=now)
    by_day = {day: reported for day, reported, _ in picture.trend if reported}
    assert by_day == {date(2026, 10, 12): 1, date(2026, 10, 13): 1}
    assert (picture.open, picture.reported_today) == (2, 1)
    grid = dashboard.dashboard(db, leader, OWN_GRID, now=now)
    assert (grid.open, grid.reported_today, grid.children) == (2, 1, [])
