"""On duty: positions known only during the shift, stale ones hidden, the nearest summoned."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.fieldwork import duty
from civicgrid.fieldwork.models import DutyPosition
from civicgrid.notify.models import OutboxMessage
from civicgrid.timeutil import utcnow
from tests.factories import PASSWORD, AuthedUser, City, People, auth, report, user_row

GRID = "530502001001001"
FAR_GRID = "530502001004004"


def worker(db: Session, username: str, grid: str) -> AuthedUser:
    auth_service.create_user(
        db, username=username, password=PASSWORD, role=Role.GRID_WORKER, scope_code=grid
    )
    db.commit()
    return AuthedUser(username=username, password=PASSWORD, scope_code=grid, role=Role.GRID_WORKER)


def on_duty_at(client: TestClient, person: AuthedUser, city: City, grid: str):
    lng, lat = city.point_in(grid)
    return client.put(
        "/api/v1/fieldwork/duty",
        json={"lng": lng, "lat": lat, "accuracy_m": 8},
        headers=auth(client, person),
    )


def test_the_centre_sees_on_duty_workers_nearest_a_case_and_summons_one(
    client: TestClient, db: Session, city: City, people: People
):
    near, far = worker(db, "near", GRID), worker(db, "far", FAR_GRID)
    assert on_duty_at(client, near, city, GRID).status_code == 200
    assert on_duty_at(client, far, city, FAR_GRID).status_code == 200
    number = report(client, city, grid=GRID).json()["number"]

    ranked = client.get(
        "/api/v1/fieldwork/duty", params={"case": number}, headers=auth(client, people.owner)
    ).json()
    assert [item["username"] for item in ranked] == ["near", "far"]
    assert ranked[0]["distance_m"] < ranked[1]["distance_m"]

    summoned = client.post(
        "/api/v1/fieldwork/duty/summon",
        json={"case_number": number, "username": "near"},
        headers=auth(client, people.owner),
    )
    assert summoned.status_code == 200, summoned.text
    message = db.scalars(
        select(OutboxMessage).where(OutboxMessage.event == duty.SUMMON_EVENT)
    ).one()
    assert message.target == str(user_row(db, "near").id)
    assert number in message.payload["title"]


def test_going_off_duty_forgets_the_position(
    client: TestClient, db: Session, city: City, people: People
):
    near = worker(db, "near", GRID)
    on_duty_at(client, near, city, GRID)
    assert client.delete("/api/v1/fieldwork/duty", headers=auth(client, near)).status_code == 204
    db.expire_all()
    assert db.scalars(select(DutyPosition)).all() == []
    assert client.get("/api/v1/fieldwork/duty", headers=auth(client, people.owner)).json() == []


def test_a_stale_position_is_not_shown_and_outsiders_see_nobody(
    client: TestClient, db: Session, city: City, people: People
):
    near = worker(db, "near", GRID)
    on_duty_at(client, near, city, GRID)
    owner = auth_service.actor_for_user(user_row(db, "owner"))
    assert [w.username for w in duty.on_duty(db, owner, now=utcnow())] == ["near"]
    later = utcnow() + duty.STALE_AFTER + timedelta(minutes=1)
    assert duty.on_duty(db, owner, now=later) == []
    assert client.get("/api/v1/fieldwork/duty", headers=auth(client, people.outsider)).json() == []


def test_only_grid_workers_go_on_duty_and_only_the_centre_summons(
    client: TestClient, db: Session, city: City, people: People
):
    assert on_duty_at(client, people.owner, city, GRID).status_code == 403
    near = worker(db, "near", GRID)
    on_duty_at(client, near, city, GRID)
    number = report(client, city, grid=GRID).json()["number"]
    refused = client.post(
        "/api/v1/fieldwork/duty/summon",
        json={"case_number": number, "username": "near"},
        headers=auth(client, people.peer),
    )
    assert refused.status_code == 403
    nobody = client.post(
        "/api/v1/fieldwork/duty/summon",
        json={"case_number": number, "username": "ghost"},
        headers={**auth(client, people.owner), "Accept-Language": "en"},
    )
    assert nobody.status_code == 404
    assert "not on duty" in nobody.json()["error"]["message"]
    bad = client.put(
        "/api/v1/fieldwork/duty", json={"lng": 500, "lat": 25}, headers=auth(client, near)
    )
    assert bad.status_code == 422
