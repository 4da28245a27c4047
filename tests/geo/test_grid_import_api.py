"""Grid import over HTTP for the admin page: the same all-or-nothing report as the CLI."""

from fastapi.testclient import TestClient

from tests.factories import City, People, auth, community_grids

COMMUNITY = "530502001001"


def upload(client: TestClient, person, content: bytes, **form: str):
    return client.post(
        "/api/v1/geo/grids/import",
        files={"file": ("grids.geojson", content, "application/geo+json")},
        data=form,
        headers=auth(client, person),
    )


def test_an_admin_checks_then_imports_a_grid_file(client: TestClient, city: City, people: People):
    checked = upload(client, people.admin, community_grids(city), dry_run="true")
    assert checked.status_code == 200, checked.text
    assert checked.json()["ok"] is True
    assert (checked.json()["read"], checked.json()["imported"]) == (4, 0)
    stored = upload(client, people.admin, community_grids(city))
    assert (stored.json()["imported"], stored.json()["communities"]) == (4, 1)
    assert stored.json()["lines"][0]


def test_a_broken_file_is_reported_in_the_readers_language_and_nothing_changes(
    client: TestClient, people: People
):
    response = client.post(
        "/api/v1/geo/grids/import",
        files={"file": ("grids.geojson", b'{"type": "FeatureCollection", "features": [', "x")},
        headers={**auth(client, people.admin), "Accept-Language": "en"},
    )
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert response.json()["imported"] == 0
    assert any("grids.geojson" in line for line in response.json()["lines"])


def test_only_an_administrator_imports_grids(client: TestClient, city: City, people: People):
    response = upload(client, people.owner, community_grids(city))
    assert response.status_code == 403
    assert response.json()["error"]["message"]


def test_an_unknown_coordinate_system_is_refused(client: TestClient, city: City, people: People):
    response = upload(client, people.admin, community_grids(city), crs="mars")
    assert response.status_code == 422
