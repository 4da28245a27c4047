"""The address search box over HTTP: roads, 小区, addresses, key places and regions found
inside the caller's area with their point, grid and region names; never people."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.factories import PASSWORD, AuthedUser, City, People, auth
from tests.registry.conftest import (
    NEXT_GRID,
    OTHER_DISTRICT_GRID,
    OWN_COMMUNITY,
    OWN_GRID,
    Registry,
)

PLACES = "/api/v1/registry/places"
OWN_STREET = OWN_GRID[:9]


def found(client: TestClient, person: AuthedUser, q: str, **params: int) -> list[dict]:
    response = client.get(PLACES, params={"q": q, **params}, headers=auth(client, person))
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_road_is_found_by_part_of_its_name_with_its_point_grid_and_regions(
    client: TestClient, city: City, people: People, registry: Registry
):
    [road] = [hit for hit in found(client, people.owner, "北路") if hit["kind"] == "road"]
    assert road["name"] == "正阳北路"
    # The road crosses two grids, so it is the community's; its point lies in the first grid.
    assert road["region_code"] == OWN_COMMUNITY
    assert road["grid_code"] == OWN_GRID
    assert (road["lng"], road["lat"]) == city.point_in(OWN_GRID)
    assert road["street"] == f"街道{OWN_STREET}"
    assert road["community"] == f"社区{OWN_COMMUNITY}"
    assert road["grid"] == f"网格{OWN_GRID}"


def test_a_house_number_is_found_by_the_start_of_its_address(
    client: TestClient, people: People, registry: Registry
):
    hits = found(client, people.owner, "正阳北路 14号")
    assert hits[0]["name"] == "正阳北路14号"
    assert hits[0]["kind"] == "house_number"
    assert hits[0]["grid_code"] == NEXT_GRID
    assert {hit["name"] for hit in hits} <= {
        "正阳北路14号",
        "正阳北路14号1栋",
        "正阳北路14号1栋1单元",
        "正阳北路14号1栋1单元101室",
    }


def test_the_answers_name_places_never_the_people_living_there(
    client: TestClient, people: People, registry: Registry
):
    response = client.get(
        PLACES, params={"q": "正阳北路", "limit": 20}, headers=auth(client, people.admin)
    )
    assert response.status_code == 200
    assert len(response.json()) > 2
    for name in ("王小明", "李华", "赵强", "13812345678"):
        assert name not in response.text


def test_a_foreign_districts_address_is_not_found(
    client: TestClient, people: People, registry: Registry
):
    assert found(client, people.owner, "保岫东路") == []
    [road] = [hit for hit in found(client, people.outsider, "保岫东路") if hit["kind"] == "road"]
    assert road["grid_code"] == OTHER_DISTRICT_GRID


def test_a_grid_worker_finds_only_the_places_of_the_own_grid(
    client: TestClient, db: Session, people: People, registry: Registry, worker: AuthedUser
):
    names = {hit["name"] for hit in found(client, worker, "正阳北路", limit=20)}
    assert "正阳北路12号" in names
    assert "正阳北路14号" not in names
    assert "正阳北路" not in names  # the road is the community's, wider than the grid


def test_regions_and_key_places_are_found_by_name(client: TestClient, city: City, people: People):
    lng, lat = city.point_in(OWN_GRID)
    created = client.post(
        "/api/v1/registry/key-places",
        json={
            "name": "正阳农贸市场",
            "kind": "market",
            "address": {"address": "正阳北路40号", "lng": lng, "lat": lat},
        },
        headers=auth(client, people.peer),
    )
    assert created.status_code == 201, created.text
    [market] = found(client, people.owner, "农贸")
    assert (market["kind"], market["grid_code"]) == ("key_place", OWN_GRID)
    grids = found(client, people.owner, f"网格{OWN_GRID}")
    assert [(hit["kind"], hit["grid_code"]) for hit in grids] == [("grid", OWN_GRID)]
    communities = found(client, people.owner, "社区530502001")
    assert {hit["kind"] for hit in communities} == {"community"}
    assert {hit["region_code"][:9] for hit in communities} == {OWN_STREET}


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.DEPARTMENT_HANDLER])
def test_who_enters_no_location_may_not_search(
    client: TestClient, db: Session, people: People, role: Role
):
    auth_service.create_user(
        db, username="caller", password=PASSWORD, role=role, scope_code=OWN_STREET
    )
    db.commit()
    caller = AuthedUser(username="caller", password=PASSWORD, scope_code=OWN_STREET, role=role)
    response = client.get(PLACES, params={"q": "正阳北路"}, headers=auth(client, caller))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("language", "q", "expected"),
    [
        ("zh-CN", "", "至少输入 2 个字"),
        ("zh-CN", " 正 ", "至少输入 2 个字"),
        ("en", "正", "at least 2 characters"),
        ("en", "正" * 101, "at most 100"),
    ],
)
def test_a_short_or_long_search_is_refused_in_the_callers_language(
    client: TestClient, people: People, language: str, q: str, expected: str
):
    response = client.get(
        PLACES,
        params={"q": q},
        headers={**auth(client, people.owner), "Accept-Language": language},
    )
    assert response.status_code == 422
    assert expected in response.json()["error"]["message"]


@pytest.mark.parametrize("limit", [0, 21])
def test_the_number_of_suggestions_is_bounded(client: TestClient, people: People, limit: int):
    response = client.get(
        PLACES, params={"q": "正阳北路", "limit": limit}, headers=auth(client, people.owner)
    )
    assert response.status_code == 422


@pytest.mark.parametrize("q", ["正阳\x00北路", "%_\\%", "１２３"])
def test_odd_characters_are_a_plain_search_never_a_server_error(
    client: TestClient, people: People, registry: Registry, q: str
):
    response = client.get(PLACES, params={"q": q}, headers=auth(client, people.owner))
    assert response.status_code in {200, 422}, response.text
    if response.status_code == 200:
        assert response.json() == []
