"""Every time the API hands back carries its UTC marker, on both engines, after a fresh read.

SQLite keeps no zone: a time read back from it was naive, and a page that
reads `2026-12-04T16:56:11` as local time showed it eight hours early.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.cases.models import Case
from civicgrid.db import UtcDateTime
from tests.disputes.conftest import GRID, walk_in
from tests.factories import City, People, auth
from tests.fieldwork.conftest import at, grid_worker, working_day

MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def moments(value: Any) -> Iterator[str]:
    """Every string in a JSON document that reads as a date with a time."""
    if isinstance(value, dict):
        for item in value.values():
            yield from moments(item)
    elif isinstance(value, list):
        for item in value:
            yield from moments(item)
    elif isinstance(value, str) and MOMENT.match(value):
        yield value


def assert_utc_marked(response: Any) -> None:
    assert response.status_code in {200, 201}, response.text
    found = list(moments(response.json()))
    assert found, f"no times in {response.request.url}"
    assert [m for m in found if not m.endswith(("Z", "+00:00"))] == []


def test_a_case_read_back_keeps_utc_on_its_times(client: TestClient, city: City, people: People):
    lng, lat = city.point_in(GRID)
    number = client.post(
        "/api/v1/cases", json={"description": "井盖缺失", "lng": lng, "lat": lat}
    ).json()["number"]
    headers = auth(client, people.owner)
    accepted = client.post(
        f"/api/v1/cases/{number}/transitions", json={"to": "accepted"}, headers=headers
    )
    assert accepted.status_code == 200, accepted.text

    read = client.get(f"/api/v1/cases/{number}", headers=headers)
    assert read.json()["stage_due_at"] is not None
    for response in (
        read,
        client.get("/api/v1/cases", headers=headers),
        client.get(f"/api/v1/cases/{number}/actions", headers=headers),
    ):
        assert_utc_marked(response)


def test_field_records_read_back_keep_utc(
    client: TestClient, db: Session, city: City, people: People
):
    worker = grid_worker(db, "worker", GRID)
    db.commit()
    headers = auth(client, worker)
    lng, lat = city.point_in(GRID)
    when = at(working_day(), 0).isoformat()
    body = {"task_type": "check_in", "occurred_at": when, "lng": lng, "lat": lat}
    assert client.post("/api/v1/fieldwork/records", json=body, headers=headers).status_code == 201
    assert client.put("/api/v1/fieldwork/duty", json={"lng": lng, "lat": lat}, headers=headers)

    assert_utc_marked(client.get("/api/v1/fieldwork/records", headers=headers))
    assert_utc_marked(client.get("/api/v1/fieldwork/duty", headers=auth(client, people.owner)))


def test_a_dispute_read_back_keeps_utc(client: TestClient, people: People):
    headers = auth(client, people.owner)
    created = client.post("/api/v1/disputes", json=walk_in(), headers=headers)
    assert created.status_code == 201, created.text
    number = created.json()["number"]

    assert_utc_marked(client.get(f"/api/v1/disputes/{number}", headers=headers))
    assert_utc_marked(client.get(f"/api/v1/disputes/{number}/history", headers=headers))


def test_a_time_stored_in_another_zone_comes_back_as_the_same_instant_in_utc(
    db: Session, city: City, people: People, client: TestClient
):
    lng, lat = city.point_in(GRID)
    number = client.post(
        "/api/v1/cases", json={"description": "路灯不亮", "lng": lng, "lat": lat}
    ).json()["number"]
    beijing = datetime(2026, 12, 4, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    case = db.scalars(select(Case).where(Case.number == number)).one()
    case.updated_at = beijing
    db.commit()
    db.expire_all()

    read = db.scalars(select(Case).where(Case.number == number)).one().updated_at
    assert (read, read.tzinfo) == (datetime(2026, 12, 4, 1, 0, tzinfo=UTC), UTC)
    found = db.scalars(select(Case.number).where(Case.updated_at == beijing)).all()
    assert found == [number]


def test_a_naive_time_is_refused_before_it_reaches_the_database(db: Session):
    with pytest.raises(ValueError, match="naive"):
        UtcDateTime().process_bind_param(datetime(2026, 12, 4, 9, 0), db.get_bind().dialect)
