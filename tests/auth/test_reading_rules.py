"""Each role reads only what its rule allows (cases/access.py, disputes/access.py).

Attacks from issue 11: a resident whose scope is the whole city, a department
handler, an integration key and a device key asked for cases and disputes that
are not theirs, through every door that returns them.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.auth import service as auth_service
from civicgrid.auth.scope import Actor
from civicgrid.cases import live
from civicgrid.settings import Settings
from tests.factories import (
    PASSWORD,
    AccessWorld,
    City,
    People,
    build_access_world,
    token_for,
    user_row,
)


@pytest.fixture
def world(db: Session, city: City, people: People, settings: Settings) -> AccessWorld:
    return build_access_world(db, city, settings)


def signed_in(client: TestClient, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(client, f'w.{name}', PASSWORD)}"}


def listed(client: TestClient, headers: dict[str, str]) -> tuple[set[str], int]:
    response = client.get("/api/v1/cases", headers=headers)
    assert response.status_code == 200, response.text
    return {case["number"] for case in response.json()}, int(response.headers["X-Total-Count"])


def test_a_resident_with_city_scope_lists_only_their_own_report(
    client: TestClient, world: AccessWorld
):
    numbers, total = listed(client, signed_in(client, "resident"))
    assert numbers == {world.own_case}
    assert total == 1


@pytest.mark.parametrize("tail", ["", "/actions", "/photos", "/moves", "/feedback"])
def test_a_resident_cannot_open_a_neighbours_case_its_notes_or_photos(
    client: TestClient, world: AccessWorld, tail: str
):
    headers = signed_in(client, "resident")
    neighbour = client.get(f"/api/v1/cases/{world.neighbour_case}{tail}", headers=headers)
    assert neighbour.status_code in {403, 404}
    assert "邻居反映" not in neighbour.text


def test_a_resident_opens_their_own_case(client: TestClient, world: AccessWorld):
    own = client.get(f"/api/v1/cases/{world.own_case}", headers=signed_in(client, "resident"))
    assert own.status_code == 200
    assert own.json()["number"] == world.own_case


def replayed(engine: Engine, actor: Actor) -> str:
    """What a stream reconnecting with Last-Event-ID 0 sends in its first poll."""
    sessions = sessionmaker(bind=engine)
    polls: list[int] = []

    async def one_poll() -> str:
        async def disconnected() -> bool:
            polls.append(1)
            return len(polls) > 1

        return "".join(
            [
                text
                async for text in live.case_events(sessions, actor, 0, disconnected, poll_seconds=0)
            ]
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, one_poll()).result(timeout=30)


def test_the_live_stream_replays_a_resident_only_their_own_report(
    db: Session, engine: Engine, world: AccessWorld
):
    resident = auth_service.actor_for_user(user_row(db, "w.resident"))
    text = replayed(engine, resident)
    assert world.own_case in text
    assert world.neighbour_case not in text
    assert world.foreign_case not in text


def test_a_department_handler_lists_what_its_department_holds_only(
    client: TestClient, world: AccessWorld
):
    assert listed(client, signed_in(client, "department_handler"))[0] == {world.own_case}
    assert listed(client, signed_in(client, "police_handler")) == (set(), 0)


def test_a_department_still_reads_a_case_it_held_once_it_moved_on(
    client: TestClient, db: Session, world: AccessWorld
):
    dispatcher = signed_in(client, "dispatcher")
    back = {"to": "returned", "note": "不属于本部门职责"}
    returned = client.post(
        f"/api/v1/cases/{world.own_case}/transitions", json=back, headers=dispatcher
    )
    handler = signed_in(client, "department_handler")
    if returned.status_code != 200:
        handler_back = client.post(
            f"/api/v1/cases/{world.own_case}/transitions", json=back, headers=handler
        )
        assert handler_back.status_code == 200, handler_back.text
    again = client.post(
        f"/api/v1/cases/{world.own_case}/transitions",
        json={"to": "dispatched", "department_code": "530502-police"},
        headers=dispatcher,
    )
    assert again.status_code == 200, again.text
    assert client.get(f"/api/v1/cases/{world.own_case}", headers=handler).status_code == 200
    police = signed_in(client, "police_handler")
    assert client.get(f"/api/v1/cases/{world.own_case}", headers=police).status_code == 200


def test_an_integration_key_reads_its_scope_and_a_device_reads_nothing(
    client: TestClient, world: AccessWorld
):
    numbers, _ = listed(client, {"X-API-Key": world.keys["integration"]})
    assert numbers == {world.own_case, world.neighbour_case}
    device = {"X-Device-Code": world.own_device, "X-Device-Key": world.own_device_key}
    assert client.get("/api/v1/cases", headers=device).status_code == 401
    assert client.get(f"/api/v1/cases/{world.own_case}", headers=device).status_code == 401


@pytest.mark.parametrize("tail", ["", "/sessions", "/triage", "/history", "/agreement.docx"])
@pytest.mark.parametrize("who", ["police_handler", "department_handler", "resident"])
def test_a_dispute_is_not_read_by_handlers_or_residents(
    client: TestClient, world: AccessWorld, who: str, tail: str
):
    response = client.get(
        f"/api/v1/disputes/{world.own_dispute}{tail}", headers=signed_in(client, who)
    )
    assert response.status_code in {403, 404}


def test_no_key_reads_disputes(client: TestClient, world: AccessWorld):
    headers = {"X-API-Key": world.keys["integration"]}
    assert client.get(f"/api/v1/disputes/{world.own_dispute}", headers=headers).status_code == 404
    listing = client.get("/api/v1/disputes", headers=headers)
    assert world.own_dispute not in listing.text


def test_the_area_staff_still_read_the_areas_disputes(client: TestClient, world: AccessWorld):
    for who in ("dispatcher", "mediator", "grid_worker"):
        response = client.get(
            f"/api/v1/disputes/{world.own_dispute}", headers=signed_in(client, who)
        )
        assert response.status_code == 200, who
