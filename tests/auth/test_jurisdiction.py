"""Each person sees their own area only: owner, a peer in the same street, an outsider."""

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.geo.models import Region
from tests.factories import OTHER_DISTRICT, OWN_STREET, AuthedUser, People, auth


def grid_codes(client: TestClient, person: AuthedUser, region: str = "530500") -> set[str]:
    response = client.get(
        f"/api/v1/geo/regions/{region}/grids.geojson", headers=auth(client, person)
    )
    assert response.status_code == 200, response.text
    return {feature["properties"]["code"] for feature in json.loads(response.text)["features"]}


def test_owner_and_peer_see_the_grids_of_their_street_only(client, people: People):
    owner_grids = grid_codes(client, people.owner)
    assert owner_grids
    assert all(code.startswith(OWN_STREET) for code in owner_grids)
    assert grid_codes(client, people.peer) == owner_grids


def test_outsider_sees_only_their_district(client, people: People):
    outsider_grids = grid_codes(client, people.outsider)
    assert outsider_grids
    assert all(code.startswith(OTHER_DISTRICT) for code in outsider_grids)


def test_city_leader_sees_every_grid_of_the_city(client, people: People):
    assert len(grid_codes(client, people.leader)) == 64


def test_outsider_cannot_open_a_street_in_another_district(client, people: People):
    response = client.get(
        f"/api/v1/geo/regions/{OWN_STREET}", headers=auth(client, people.outsider)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "region_not_found"


def test_owner_may_name_their_district_but_only_lists_their_own_street_inside_it(client, people):
    response = client.get("/api/v1/geo/regions/530502", headers=auth(client, people.owner))
    assert response.status_code == 200
    assert [child["code"] for child in response.json()["children"]] == [OWN_STREET]


def test_user_lists_follow_jurisdiction(client, people: People):
    def usernames(person: AuthedUser) -> set[str]:
        response = client.get("/api/v1/users", headers=auth(client, person))
        assert response.status_code == 200
        return {row["username"] for row in response.json()}

    assert usernames(people.owner) == {"owner", "peer"}
    assert usernames(people.peer) == {"owner", "peer"}
    assert usernames(people.outsider) == {"outsider"}
    assert usernames(people.leader) == {"admin", "owner", "peer", "outsider", "leader"}


def test_admin_cannot_create_an_account_outside_their_city(client, people: People):
    body = {
        "username": "far",
        "password": "long-enough-1",
        "role": "dispatcher",
        "scope_code": "360100",
    }
    response = client.post("/api/v1/users", json=body, headers=auth(client, people.admin))
    assert response.status_code == 403


def test_only_administrators_create_accounts(client, people: People):
    body = {
        "username": "new1",
        "password": "long-enough-1",
        "role": "grid_worker",
        "scope_code": OWN_STREET,
    }
    response = client.post("/api/v1/users", json=body, headers=auth(client, people.owner))
    assert response.status_code == 403
    created = client.post("/api/v1/users", json=body, headers=auth(client, people.admin))
    assert created.status_code == 201
    assert created.json()["scope_code"] == OWN_STREET


@pytest.mark.parametrize(
    ("scope", "expected_prefixes"),
    [("530500", {"5305"}), ("530502", {"530502"}), (OWN_STREET, {OWN_STREET})],
)
def test_scope_filter_matches_significant_digits(db: Session, city, scope, expected_prefixes):
    actor = Actor(kind="user", role=Role.DISPATCHER, scope_code=scope)
    codes = db.scalars(select(Region.code).where(in_scope(actor, Region.code))).all()
    assert codes
    assert all(any(code.startswith(p) for p in expected_prefixes) for code in codes)


def test_an_actor_without_scope_sees_nothing(db: Session, city):
    actor = Actor(kind="user", role=Role.DISPATCHER, scope_code=None)
    assert db.scalars(select(Region.code).where(in_scope(actor, Region.code))).all() == []
