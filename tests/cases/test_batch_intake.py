"""Batch intake for hotline and system imports: all stored or none, replays return their cases."""

from sqlalchemy import func, select

from civicgrid.auth import service as auth_service
from civicgrid.cases.models import Case
from tests.factories import People, auth

GRID = "530502001001001"


def item(city, n: int, **extra):
    lng, lat = city.point_in(GRID)
    return {
        "description": f"噪音扰民 {n}",
        "channel": "hotline_12345",
        "lng": lng,
        "lat": lat,
        **extra,
    }


def count(db) -> int:
    return db.scalar(select(func.count()).select_from(Case)) or 0


def test_a_batch_makes_one_case_per_item_with_consecutive_numbers(client, city, people: People):
    body = {"cases": [item(city, n) for n in range(25)]}
    response = client.post("/api/v1/cases/batch", json=body, headers=auth(client, people.admin))
    assert response.status_code == 200
    results = response.json()
    assert [r["index"] for r in results] == list(range(25))
    assert all(r["created"] for r in results)
    sequences = [int(r["number"][-5:]) for r in results]
    assert sequences == list(range(sequences[0], sequences[0] + 25))


def test_replaying_a_batch_returns_the_same_cases(client, city, people: People, db):
    body = {"cases": [item(city, n, idempotency_key=f"hotline-{n}") for n in range(5)]}
    headers = auth(client, people.admin)
    first = client.post("/api/v1/cases/batch", json=body, headers=headers).json()
    again = client.post("/api/v1/cases/batch", json=body, headers=headers).json()
    assert [r["number"] for r in again] == [r["number"] for r in first]
    assert not any(r["created"] for r in again)
    assert count(db) == 5


def test_a_key_repeated_inside_one_batch_makes_one_case(client, city, people: People, db):
    body = {"cases": [item(city, 1, idempotency_key="same"), item(city, 1, idempotency_key="same")]}
    results = client.post("/api/v1/cases/batch", json=body, headers=auth(client, people.admin))
    numbers = [r["number"] for r in results.json()]
    assert numbers[0] == numbers[1]
    assert count(db) == 1


def test_one_bad_item_refuses_the_whole_batch_and_names_it(client, city, people: People, db):
    body = {
        "cases": [
            item(city, 0),
            {"description": "无位置", "channel": "hotline_12345"},
            item(city, 2, category_code="NO-SUCH"),
        ]
    }
    response = client.post(
        "/api/v1/cases/batch",
        json=body,
        headers={**auth(client, people.admin), "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "batch_invalid"
    assert [(p["index"], p["code"]) for p in error["items"]] == [
        (1, "case_location_required"),
        (2, "category_unknown"),
    ]
    assert "2 条" in error["message"]
    assert count(db) == 0


def test_a_replayed_key_with_another_body_refuses_the_batch(client, city, people: People, db):
    headers = auth(client, people.admin)
    client.post(
        "/api/v1/cases/batch", json={"cases": [item(city, 1, idempotency_key="k")]}, headers=headers
    )
    body = {"cases": [item(city, 5), item(city, 9, idempotency_key="k")]}
    response = client.post("/api/v1/cases/batch", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["items"][0]["index"] == 1
    assert count(db) == 1


def test_only_the_centre_and_integrations_send_batches(client, city, people: People, db):
    body = {"cases": [item(city, 0)]}
    anonymous = client.post("/api/v1/cases/batch", json=body)
    assert anonymous.status_code == 401
    staff = client.post("/api/v1/cases/batch", json=body, headers=auth(client, people.peer))
    assert staff.status_code == 403
    _, raw = auth_service.create_api_key(db, name="hotline", scope_code="530500")
    db.commit()
    keyed = client.post("/api/v1/cases/batch", json=body, headers={"X-API-Key": raw})
    assert keyed.status_code == 200


def test_an_oversized_or_empty_batch_is_refused(client, city, people: People):
    headers = auth(client, people.admin)
    empty = client.post("/api/v1/cases/batch", json={"cases": []}, headers=headers)
    assert empty.status_code == 422
    huge = client.post(
        "/api/v1/cases/batch", json={"cases": [item(city, 0)] * 1001}, headers=headers
    )
    assert huge.status_code == 422
    assert huge.json()["error"]["code"] == "batch_too_large"
