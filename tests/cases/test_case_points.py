"""The open cases as map points: the reader's own area only, a bbox, compact rows."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.cases.points import open_case_points
from civicgrid.geo.service import BBox
from civicgrid.timeutil import utcnow
from tests.factories import (
    OTHER_GRID,
    OWN_GRID,
    OWN_STREET,
    City,
    People,
    actor,
    auth,
    new_case,
    report,
)


def points(client: TestClient, headers: dict[str, str], query: str = "") -> list[list]:
    response = client.get(f"/api/v1/cases/points{query}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["fields"] == ["number", "lng", "lat", "state"]
    assert body["capped"] is False
    return body["points"]


def two_cases(client: TestClient, city: City) -> tuple[str, str]:
    own = report(client, city, OWN_GRID).json()["number"]
    foreign = report(client, city, OTHER_GRID).json()["number"]
    return own, foreign


def test_each_reader_gets_the_points_of_their_own_area_only(
    client: TestClient, city: City, people: People
):
    own, foreign = two_cases(client, city)
    assert [row[0] for row in points(client, auth(client, people.owner))] == [own]
    assert [row[0] for row in points(client, auth(client, people.outsider))] == [foreign]
    assert sorted(row[0] for row in points(client, auth(client, people.leader))) == sorted(
        [own, foreign]
    )


def test_a_point_is_the_cases_number_position_and_state(
    client: TestClient, city: City, people: People
):
    own, _ = two_cases(client, city)
    lng, lat = city.point_in(OWN_GRID)
    [row] = points(client, auth(client, people.owner))
    assert row == [own, round(lng, 6), round(lat, 6), "open"]


def test_the_bbox_keeps_the_points_inside_it_and_the_zoom_rounds_them(
    client: TestClient, city: City, people: People
):
    own, _ = two_cases(client, city)
    lng, lat = city.point_in(OWN_GRID)
    around = f"?bbox={lng - 0.001},{lat - 0.001},{lng + 0.001},{lat + 0.001}&zoom=8"
    leader = auth(client, people.leader)
    [row] = points(client, leader, around)
    assert row == [own, round(lng, 3), round(lat, 3), "open"]
    far = f"?bbox={lng + 0.5},{lat},{lng + 0.6},{lat + 0.1}"
    assert points(client, leader, far) == []


def test_a_case_past_its_stage_deadline_is_an_overdue_point(db: Session, city: City):
    case = new_case(db, city)
    db.commit()
    reader = actor(Role.DISPATCHER, OWN_STREET)
    assert open_case_points(db, reader, bbox=None, zoom=None).rows[0][3] == "open"
    later = (case.stage_due_at or utcnow()) + timedelta(minutes=1)
    found = open_case_points(db, reader, bbox=BBox(99.0, 25.0, 99.4, 25.4), zoom=None, now=later)
    assert [(row[0], row[3]) for row in found.rows] == [(case.number, "overdue")]


def test_a_bad_bbox_or_zoom_is_refused_in_chinese(client: TestClient, people: People):
    headers = auth(client, people.owner)
    bad_box = client.get("/api/v1/cases/points?bbox=99,25,north", headers=headers)
    assert bad_box.status_code == 422
    assert "范围参数" in bad_box.json()["error"]["message"]
    assert client.get("/api/v1/cases/points?zoom=99", headers=headers).status_code == 422


def test_points_need_an_account(client: TestClient):
    client.cookies.clear()
    assert client.get("/api/v1/cases/points").status_code == 401
