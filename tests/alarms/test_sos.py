"""One-click SOS: stored once, alerts the centre, the police and the nearest workers, escalates."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.alarms import sos
from civicgrid.alarms.models import SosCall, SosEvent
from civicgrid.auth.service import actor_for_user
from civicgrid.cases import live
from civicgrid.cases.models import Case
from civicgrid.geo.service import GridIndex
from civicgrid.notify.models import OutboxMessage
from civicgrid.timeutil import utcnow
from tests.alarms.conftest import Registered, SosWorld
from tests.factories import OWN_GRID, City, token_for, user_row


def bearer(client: TestClient, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(client, username)}"}


def press(client: TestClient, city: City, username: str, key: str = "press-1", **body: object):
    lng, lat = city.point_in(OWN_GRID)
    return client.post(
        "/api/v1/sos",
        json={"lng": lng, "lat": lat, "place": "和平路口", **body},
        headers={**bearer(client, username), "Idempotency-Key": key},
    )


def user_id(db: Session, username: str) -> int:
    return user_row(db, username).id


def alerted(db: Session) -> set[int]:
    targets = db.scalars(select(OutboxMessage.target).where(OutboxMessage.event == sos.SOS_EVENT))
    return {int(target) for target in targets}


def test_a_workers_sos_opens_an_urgent_case_and_alerts_centre_police_and_nearest_workers(
    client: TestClient, db: Session, sensing: City, sos_world: SosWorld
):
    response = press(client, sensing, sos_world.presser)
    assert response.status_code == 201, response.text
    call = response.json()
    assert (call["level"], call["source"], call["place"]) == ("district", "worker", "和平路口")
    case = db.scalar(select(Case).where(Case.number == call["case_number"]))
    assert case is not None
    assert (case.priority, case.region_code) == ("urgent", OWN_GRID)
    expected = {
        user_id(db, name)
        for name in (
            sos_world.district_dispatcher,
            sos_world.police,
            sos_world.near_worker,
            sos_world.far_worker,
        )
    }
    assert alerted(db) == expected
    assert user_id(db, sos_world.presser) not in alerted(db)
    assert user_id(db, sos_world.city_dispatcher) not in alerted(db)


def test_the_same_press_sent_twice_from_the_outbox_is_stored_once(
    client: TestClient, db: Session, sensing: City, sos_world: SosWorld
):
    first = press(client, sensing, sos_world.presser, key="offline-1")
    again = press(client, sensing, sos_world.presser, key="offline-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert db.scalar(select(func.count()).select_from(SosCall)) == 1
    assert db.scalar(select(func.count()).select_from(Case)) == 1


def test_a_press_without_an_idempotency_key_is_refused_in_the_users_language(
    client: TestClient, sensing: City, sos_world: SosWorld
):
    response = client.post(
        "/api/v1/sos",
        json={"place": "和平路口"},
        headers={**bearer(client, sos_world.presser), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["error"]["message"]


def test_a_dispatcher_cannot_press_a_workers_sos(
    client: TestClient, sensing: City, sos_world: SosWorld
):
    assert press(client, sensing, sos_world.district_dispatcher).status_code == 403


def test_a_key_places_button_raises_one_call_per_press_over_the_alarm_api(
    client: TestClient, db: Session, sos_button: Registered, sos_world: SosWorld
):
    body = {"alarms": [{"event_id": "btn-1", "type": "sos"}]}
    first = client.post("/api/v1/alarms", json=body, headers=sos_button.headers)
    again = client.post("/api/v1/alarms", json=body, headers=sos_button.headers)
    assert first.status_code == again.status_code == 200, first.text
    call = db.scalar(select(SosCall))
    assert call is not None
    assert (call.source, call.place, call.level) == ("device", "一中门卫室", "district")
    assert call.case_number == first.json()[0]["case_number"]
    assert db.scalar(select(func.count()).select_from(SosCall)) == 1
    assert user_id(db, sos_world.police) in call.notified


def test_an_unacknowledged_sos_escalates_to_the_city_after_the_timeout_with_its_reason(
    client: TestClient, db: Session, sensing: City, sos_world: SosWorld
):
    call_id = press(client, sensing, sos_world.presser).json()["id"]
    now = utcnow()
    assert sos.escalate_due(db, now=now + timedelta(seconds=30)) == 0
    assert sos.escalate_due(db, now=now + timedelta(seconds=61)) == 1
    db.commit()
    assert sos.escalate_due(db, now=now + timedelta(minutes=5)) == 0
    call = db.get(SosCall, call_id)
    assert call is not None
    db.refresh(call)
    assert (call.level, call.centre_code) == ("city", "530500")
    event = db.scalar(select(SosEvent).where(SosEvent.kind == "escalated"))
    assert event is not None
    assert "市级" in event.reason
    assert user_id(db, sos_world.city_dispatcher) in alerted(db)


def test_an_acknowledged_sos_does_not_escalate(
    client: TestClient, db: Session, sensing: City, sos_world: SosWorld
):
    call_id = press(client, sensing, sos_world.presser).json()["id"]
    url = f"/api/v1/sos/{call_id}/acknowledge"
    answered = client.post(url, headers=bearer(client, sos_world.district_dispatcher))
    assert answered.status_code == 200, answered.text
    assert answered.json()["acknowledged_at"] is not None
    assert sos.escalate_due(db, now=utcnow() + timedelta(minutes=5)) == 0


def test_a_notified_worker_may_acknowledge_and_another_districts_dispatcher_may_not(
    client: TestClient, sensing: City, sos_world: SosWorld
):
    call_id = press(client, sensing, sos_world.presser).json()["id"]
    url = f"/api/v1/sos/{call_id}/acknowledge"
    foreign = client.post(url, headers=bearer(client, sos_world.foreign_dispatcher))
    assert foreign.status_code == 404
    near = client.post(url, headers=bearer(client, sos_world.near_worker))
    assert near.status_code == 200, near.text


def test_the_open_sos_list_shows_the_own_area_only(
    client: TestClient, sensing: City, sos_world: SosWorld
):
    call_id = press(client, sensing, sos_world.presser).json()["id"]
    own = client.get("/api/v1/sos", headers=bearer(client, sos_world.district_dispatcher))
    foreign = client.get("/api/v1/sos", headers=bearer(client, sos_world.foreign_dispatcher))
    assert [item["id"] for item in own.json()] == [call_id]
    assert foreign.json() == []


def streamed(engine: Engine, db: Session, city: City, world: SosWorld) -> dict[str, str]:
    """What two dispatchers' streams, sharing one hub, receive while a worker presses SOS."""
    sessions = sessionmaker(bind=engine)
    readers = {
        name: actor_for_user(user_row(db, name))
        for name in (world.district_dispatcher, world.foreign_dispatcher)
    }
    presser = actor_for_user(user_row(db, world.presser))
    lng, lat = city.point_in(OWN_GRID)

    def press_now() -> None:
        with sessions() as session:
            where = sos.Press(lng=lng, lat=lat, place="和平路口")
            sos.press_from_worker(
                session, GridIndex(), presser, key="live-1", press=where, now=utcnow()
            )
            session.commit()

    async def watch() -> dict[str, str]:
        hub = live.LiveHub(sessions, tick=0.05)
        texts = dict.fromkeys(readers, "")
        deadline = asyncio.get_running_loop().time() + 10

        async def stop() -> bool:
            seen = "event: sos" in texts[world.district_dispatcher]
            return seen or asyncio.get_running_loop().time() > deadline

        async def follow(name: str) -> None:
            async for text in live.case_events(sessions, readers[name], None, stop, hub=hub):
                texts[name] += text

        streams = [asyncio.create_task(follow(name)) for name in readers]
        while len(hub.subscribers) < len(readers):
            await asyncio.sleep(0.01)
        await asyncio.to_thread(press_now)
        await asyncio.gather(*streams)
        return texts

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, watch()).result(timeout=30)


def test_the_sos_reaches_the_districts_live_stream_and_not_another_districts(
    engine: Engine, db: Session, sensing: City, sos_world: SosWorld
):
    texts = streamed(engine, db, sensing, sos_world)
    assert "event: sos" in texts[sos_world.district_dispatcher]
    assert "和平路口" in texts[sos_world.district_dispatcher]
    assert "event: sos" not in texts[sos_world.foreign_dispatcher]
    assert "和平路口" not in texts[sos_world.foreign_dispatcher]
