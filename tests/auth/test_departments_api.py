"""Departments added by an administrator, only inside their own jurisdiction."""

from fastapi.testclient import TestClient

from tests.factories import OTHER_DISTRICT, OWN_DISTRICT, People, auth

URBAN = {"code": "530502-urban", "name": "城管局", "kind": "urban_management"}


def test_an_administrator_adds_a_department_that_dispatchers_then_see(
    client: TestClient, people: People
):
    made = client.post(
        "/api/v1/departments",
        json={**URBAN, "region_code": OWN_DISTRICT},
        headers=auth(client, people.admin),
    )
    assert made.status_code == 201, made.text
    listed = client.get("/api/v1/departments", headers=auth(client, people.owner)).json()
    assert [item["code"] for item in listed] == ["530502-urban"]
    again = client.post(
        "/api/v1/departments",
        json={**URBAN, "region_code": OWN_DISTRICT},
        headers=auth(client, people.admin),
    )
    assert again.status_code == 409


def test_others_may_not_add_departments(client: TestClient, people: People):
    response = client.post(
        "/api/v1/departments",
        json={**URBAN, "region_code": OTHER_DISTRICT},
        headers=auth(client, people.owner),
    )
    assert response.status_code == 403


def test_a_bad_department_is_refused_with_a_message(client: TestClient, people: People):
    response = client.post(
        "/api/v1/departments",
        json={**URBAN, "code": "城 管", "region_code": OWN_DISTRICT},
        headers={**auth(client, people.admin), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"]
