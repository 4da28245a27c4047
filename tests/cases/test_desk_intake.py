"""Calls and walk-ins filed at the desk: hints while typing, the caller sealed, and refusals."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases.models import Case
from civicgrid.cases.reporters import Reporter, reporter_of
from civicgrid.categories.seeds import seed_builtin
from tests.factories import (
    OTHER_GRID,
    OWN_GRID,
    OWN_STREET,
    PASSWORD,
    AuthedUser,
    City,
    People,
    auth,
    report,
)

PHONE = "13912345678"
NAME = "王大妈"


@pytest.fixture
def categories(db: Session) -> None:
    seed_builtin(db)
    db.commit()


def call(city: City, grid: str = OWN_GRID, **extra: object) -> dict[str, object]:
    lng, lat = city.point_in(grid)
    return {
        "description": "小区门口路灯不亮，晚上很黑",
        "channel": "hotline_12345",
        "caller_name": NAME,
        "caller_phone": PHONE,
        "address": "兰城路8号",
        "lng": lng,
        "lat": lat,
        **extra,
    }


def test_a_hotline_call_is_filed_with_its_caller_sealed(client, db: Session, city, people: People):
    response = client.post(
        "/api/v1/desk/cases", json=call(city), headers=auth(client, people.owner)
    )
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["channel"] == "hotline_12345"
    assert made["grid_code"] == OWN_GRID
    case = db.scalars(select(Case).where(Case.number == made["number"])).one()
    assert case.reporter_phone_token is not None
    assert PHONE.encode() not in case.reporter_phone_token
    assert reporter_of(case) == Reporter(phone=PHONE, name=NAME)


def test_a_walk_in_at_the_reception_window_is_filed_as_a_walk_in(client, city, people: People):
    body = call(city, channel="walk_in", caller_phone=None)
    response = client.post("/api/v1/desk/cases", json=body, headers=auth(client, people.owner))
    assert response.status_code == 201, response.text
    assert response.json()["channel"] == "walk_in"


def test_typing_a_call_suggests_a_category_and_names_it(client, city, people, categories):
    draft = {"description": "小区门口路灯不亮，晚上很黑"}
    response = client.post("/api/v1/desk/hints", json=draft, headers=auth(client, people.owner))
    assert response.status_code == 200, response.text
    hint = response.json()["category"]
    assert hint is not None
    assert hint["name"]
    assert hint["name"] != hint["code"]
    assert 0 < hint["confidence"] <= 1


def test_typing_a_call_finds_the_open_report_it_repeats(client, city, people, categories):
    earlier = report(client, city, description="小区门口路灯不亮，晚上很黑").json()["number"]
    lng, lat = city.point_in(OWN_GRID)
    draft = {"description": "小区门口的路灯不亮了，晚上很黑", "lng": lng, "lat": lat}
    response = client.post("/api/v1/desk/hints", json=draft, headers=auth(client, people.owner))
    found = [candidate["number"] for candidate in response.json()["duplicates"]]
    assert found == [earlier]


def test_hints_never_show_a_report_outside_the_operator_s_area(client, city, people, categories):
    report(client, city, grid=OTHER_GRID, description="小区门口路灯不亮，晚上很黑")
    lng, lat = city.point_in(OTHER_GRID)
    draft = {"description": "小区门口路灯不亮，晚上很黑", "lng": lng, "lat": lat}
    response = client.post("/api/v1/desk/hints", json=draft, headers=auth(client, people.owner))
    assert response.status_code == 200
    assert response.json()["duplicates"] == []


def test_a_few_characters_get_no_hints_yet(client, people):
    response = client.post(
        "/api/v1/desk/hints", json={"description": "路灯"}, headers=auth(client, people.owner)
    )
    assert response.json() == {"category": None, "alternatives": [], "duplicates": []}


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.COMMUNITY_STAFF, Role.LEADER])
def test_only_the_centre_files_at_the_desk(client, db: Session, city, role: Role):
    auth_service.create_user(
        db, username="other", password=PASSWORD, role=role, scope_code=OWN_STREET
    )
    db.commit()
    person = AuthedUser("other", PASSWORD, OWN_STREET, role)
    headers = {**auth(client, person), "Accept-Language": "zh-CN"}
    for path, body in (("/api/v1/desk/cases", call(city)), ("/api/v1/desk/hints", call(city))):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "当前角色无权执行此操作"


def test_an_anonymous_caller_cannot_use_the_desk(client, city):
    assert client.post("/api/v1/desk/cases", json=call(city)).status_code == 401
    assert client.post("/api/v1/desk/hints", json={"description": "路灯不亮"}).status_code == 401


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"channel": "resident"}, "desk_channel_unknown"),
        ({"channel": "device"}, "desk_channel_unknown"),
        ({"caller_phone": "<script>"}, "validation"),
        ({"description": ""}, "validation"),
        ({"lng": None}, "case_point_incomplete"),
        ({"lng": None, "lat": None, "address": None}, "case_location_required"),
        ({"category_code": "NO-SUCH"}, "category_unknown"),
    ],
)
def test_malformed_calls_are_refused_in_chinese_and_store_nothing(
    client, db: Session, city, people, *, change, code
):
    headers = {**auth(client, people.owner), "Accept-Language": "zh-CN"}
    response = client.post("/api/v1/desk/cases", json=call(city, **change), headers=headers)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["code"].startswith(code) or code == "validation"
    assert any("\u4e00" <= char <= "\u9fff" for char in error["message"])
    assert db.scalar(select(Case.id)) is None
