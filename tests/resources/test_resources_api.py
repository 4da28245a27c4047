"""Emergency resources: kept by the centre in its own area, listed nearest first."""

from fastapi.testclient import TestClient

from tests.factories import City, People, auth

OWN_GRID = "530502001001001"
FAR_GRID = "530502001004004"
OTHER_GRID = "530521001001001"
OWN = "530502"


def add(client: TestClient, person, city: City, grid: str, name: str, *, kind: str = "shelter"):
    lng, lat = city.point_in(grid)
    return client.post(
        "/api/v1/resources",
        json={"kind": kind, "name": name, "lng": lng, "lat": lat, "contact": "值班室"},
        headers=auth(client, person),
    )


def test_resources_are_placed_in_their_grid_and_listed_nearest_first(
    client: TestClient, city: City, people: People
):
    assert add(client, people.owner, city, FAR_GRID, "远处避难所").status_code == 201
    near = add(client, people.owner, city, OWN_GRID, "社区避难所", kind="rescue_team")
    assert near.json()["region_code"] == OWN_GRID
    lng, lat = city.point_in(OWN_GRID)
    listed = client.get(
        "/api/v1/resources",
        params={"near_lng": lng, "near_lat": lat},
        headers=auth(client, people.owner),
    ).json()
    assert [item["name"] for item in listed] == ["社区避难所", "远处避难所"]
    assert listed[0]["distance_m"] == 0
    assert listed[1]["distance_m"] > 1000


def test_the_centre_keeps_resources_only_in_its_own_area(
    client: TestClient, city: City, people: People
):
    refused = add(client, people.owner, city, OTHER_GRID, "别区仓库", kind="warehouse")
    assert refused.status_code == 403
    assert add(client, people.outsider, city, OTHER_GRID, "别区仓库").status_code == 201
    seen = client.get("/api/v1/resources", headers=auth(client, people.owner)).json()
    assert seen == []
    staff = client.post(
        "/api/v1/resources",
        json={"kind": "shelter", "name": "x", "lng": 99.1, "lat": 25.1},
        headers=auth(client, people.peer),
    )
    assert staff.status_code == 403


def test_a_point_in_no_grid_needs_an_area_and_bad_input_is_refused(
    client: TestClient, people: People
):
    lost = client.post(
        "/api/v1/resources",
        json={"kind": "shelter", "name": "山里", "lng": 100.5, "lat": 26.5},
        headers={**auth(client, people.admin), "Accept-Language": "en"},
    )
    assert lost.status_code == 422
    assert "region code" in lost.json()["error"]["message"]
    placed = client.post(
        "/api/v1/resources",
        json={
            "kind": "shelter",
            "name": "山里",
            "lng": 100.5,
            "lat": 26.5,
            "region_code": "530502",
        },
        headers=auth(client, people.admin),
    )
    assert placed.status_code == 201
    bad = client.post(
        "/api/v1/resources",
        json={"kind": "spaceship", "name": "x", "lng": 99.1, "lat": 25.1},
        headers=auth(client, people.admin),
    )
    assert bad.status_code == 422


def test_a_resource_is_removed_only_inside_the_area(client: TestClient, city: City, people: People):
    made = add(client, people.owner, city, OWN_GRID, "临时物资点").json()
    outsider = client.delete(
        f"/api/v1/resources/{made['id']}", headers=auth(client, people.outsider)
    )
    assert outsider.status_code == 404
    owner = client.delete(f"/api/v1/resources/{made['id']}", headers=auth(client, people.owner))
    assert owner.status_code == 204
