"""Numbers no database column holds, and times past the calendar, are a 4xx with a message.

A 64-bit integer is the widest SQLite or PostgreSQL stores; past it the
driver raised an overflow and the caller got a 500. Every id in a path is
checked at the door, found from the router table so a new route is covered.
"""

import enum
import typing
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from tests.disputes.conftest import walk_in
from tests.factories import City, People, auth

TOO_BIG = [2**63, 10**30]
GRID = "530502001001001"


def routes_with_integer_path_parameters(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        if any(param.field_info.annotation is int for param in route.dependant.path_params):
            for method in sorted(route.methods or ()):
                yield method, str(context.path), route


def url_for(path: str, route: APIRoute, case_number: str, big: int) -> str:
    """The path with `big` for every integer and a valid value for the rest."""
    values = {
        p.name: _value(p.field_info.annotation, case_number, big)
        for p in route.dependant.path_params
    }
    return path.format(**values)


def _value(annotation: object, case_number: str, big: int) -> str:
    if annotation is int:
        return str(big)
    if typing.get_origin(annotation) is typing.Literal:
        return str(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return str(next(iter(annotation)).value)
    return case_number


@pytest.fixture
def case_number(client: TestClient, city: City) -> str:
    lng, lat = city.point_in(GRID)
    body = {"description": "井盖缺失", "lng": lng, "lat": lat}
    number: str = client.post("/api/v1/cases", json=body).json()["number"]
    return number


def test_every_integer_path_parameter_refuses_what_no_column_holds(
    app: FastAPI, client: TestClient, people: People, case_number: str
):
    headers = auth(client, people.admin)
    checked, problems = 0, []
    for method, path, route in routes_with_integer_path_parameters(app):
        params = route.dependant.path_params
        named = {p.name for p in params if p.field_info.annotation is int}
        for big in TOO_BIG:
            url = url_for(path, route, case_number, big)
            body: dict[str, object] | None = {} if method in {"POST", "PUT", "PATCH"} else None
            response = client.request(method, url, json=body, headers=headers)
            checked += 1
            fields = {item["field"] for item in response.json()["error"].get("fields", [])}
            if response.status_code != 422 or not named <= fields:
                problems.append((method, url, response.status_code, response.text[:200]))
    assert checked >= 24
    assert problems == []


@pytest.mark.parametrize("big", TOO_BIG)
def test_an_offset_past_any_row_is_a_422(client: TestClient, people: People, big: int):
    response = client.get(
        "/api/v1/cases", params={"offset": big}, headers=auth(client, people.leader)
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "offset"


@pytest.mark.parametrize("big", TOO_BIG)
def test_a_resource_capacity_past_any_column_is_a_422(
    client: TestClient, city: City, people: People, big: int
):
    lng, lat = city.point_in(GRID)
    body = {"kind": "shelter", "name": "避难所", "lng": lng, "lat": lat, "capacity": big}
    response = client.post("/api/v1/resources", json=body, headers=auth(client, people.owner))
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "capacity"


BIG = 2**63
LOOSE_IDS = [
    ("/api/v1/fieldwork/plans", {"worker_id": BIG, "task_type": "check_in", "cadence": "daily"}),
    ("/api/v1/registry/households", {"number": "H1", "address": {}, "housing_id": BIG}),
    ("/api/v1/registry/key-places", {"name": "x", "kind": "school", "organisation_id": BIG}),
    ("/api/v1/fieldwork/records", {"task_type": "check_in", "task_id": BIG, "subject_id": BIG}),
    ("/api/v1/cases/{number}/transitions", {"to": "accepted", "version": BIG}),
]


@pytest.mark.parametrize(("path", "body"), LOOSE_IDS)
def test_numbers_in_bodies_past_any_column_are_a_422(
    client: TestClient, people: People, case_number: str, path: str, body: dict
):
    url = path.format(number=case_number)
    response = client.post(url, json=body, headers=auth(client, people.admin))
    assert response.status_code == 422, response.text
    fields = {item["field"] for item in response.json()["error"]["fields"]}
    assert fields >= {name for name, value in body.items() if value == BIG}


def test_a_last_event_id_past_any_case_is_a_422(client: TestClient, people: People):
    headers = {**auth(client, people.leader), "Last-Event-ID": "9" * 20}
    with client.stream("GET", "/api/v1/live/cases", headers=headers) as response:
        assert response.status_code == 422
        response.read()
        assert response.json()["error"]["message"]


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_an_open311_date_past_the_calendar_in_utc_is_a_400(client: TestClient, moment: str):
    response = client.get("/open311/v2/requests.json", params={"start_date": moment})
    assert response.status_code == 400, response.text
    assert "start_date" in response.json()[0]["description"]


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "9999-12-31T20:00:00Z"])
def test_a_mediation_session_past_the_calendar_is_a_422(
    client: TestClient, people: People, moment: str
):
    headers = auth(client, people.owner)
    number = client.post("/api/v1/disputes", json=walk_in(), headers=headers).json()["number"]
    session = {
        "mode": "in_person",
        "held_at": moment,
        "place": "社区调解室",
        "participants": ["张三"],
        "record": "记录",
    }
    response = client.post(f"/api/v1/disputes/{number}/sessions", json=session, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == "held_at"
