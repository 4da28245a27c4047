"""Devices that stop sending heartbeats are marked offline by the worker and listed so."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from civicgrid import worker
from civicgrid.alarms.intake import device_for_code
from civicgrid.alarms.models import Device
from civicgrid.alarms.service import heard_from, mark_offline
from civicgrid.db import make_session_factory
from tests.alarms.conftest import Registered
from tests.factories import People, auth

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
SILENCE = timedelta(minutes=15)


def heartbeat(db: Session, device: Registered, now: datetime) -> None:
    heard_from(db, device_for_code(db, device.code), now)
    db.commit()


def status(db: Session, device: Registered) -> str:
    db.expire_all()
    found = db.scalar(select(Device.status).where(Device.code == device.code))
    assert found is not None
    return found


def test_a_device_silent_past_the_threshold_goes_offline_and_a_heartbeat_brings_it_back(
    db: Session, smoke_sensor: Registered, far_sensor: Registered
):
    assert status(db, smoke_sensor) == "offline"  # never heard from yet
    heartbeat(db, smoke_sensor, AT)
    heartbeat(db, far_sensor, AT + timedelta(minutes=10))
    assert mark_offline(db, now=AT + SILENCE, silence=SILENCE) == []
    gone = mark_offline(db, now=AT + SILENCE + timedelta(seconds=1), silence=SILENCE)
    assert [device.code for device in gone] == [smoke_sensor.code]
    db.commit()
    assert (status(db, smoke_sensor), status(db, far_sensor)) == ("offline", "online")
    heartbeat(db, smoke_sensor, AT + timedelta(minutes=20))
    assert status(db, smoke_sensor) == "online"


def test_a_disabled_device_stays_disabled_whatever_its_heartbeat(
    db: Session, client: TestClient, people: People, smoke_sensor: Registered
):
    heartbeat(db, smoke_sensor, AT)
    path = f"/api/v1/devices/{smoke_sensor.code}"
    client.patch(path, json={"enabled": False}, headers=auth(client, people.owner))
    assert mark_offline(db, now=AT + timedelta(days=1), silence=SILENCE) == []
    db.commit()
    assert status(db, smoke_sensor) == "disabled"
    db.commit()
    enabled = client.patch(path, json={"enabled": True}, headers=auth(client, people.owner))
    assert enabled.json()["status"] == "offline"


def test_the_worker_round_marks_silent_devices_and_the_api_lists_them(
    db: Session, engine: Engine, client: TestClient, people: People, smoke_sensor: Registered
):
    heartbeat(db, smoke_sensor, AT)
    tick = worker.run_once(make_session_factory(engine), "worker-1", now=AT + timedelta(hours=1))
    assert tick.offline == 1
    owner = auth(client, people.owner)
    offline = client.get("/api/v1/devices", params={"status": "offline"}, headers=owner)
    assert [item["code"] for item in offline.json()] == [smoke_sensor.code]
    assert offline.json()[0]["last_heartbeat_at"].startswith("2026-12-07T02:00:00")
    online = client.get("/api/v1/devices", params={"status": "online"}, headers=owner)
    assert online.json() == []


def test_a_heartbeat_over_http_needs_the_devices_key(
    client: TestClient, db: Session, smoke_sensor: Registered, people: People
):
    assert client.post("/api/v1/devices/heartbeat").status_code == 401
    bearer = auth(client, people.admin)
    assert client.post("/api/v1/devices/heartbeat", headers=bearer).status_code == 401
    assert client.post("/api/v1/devices/heartbeat", headers=smoke_sensor.headers).status_code == 204
    assert status(db, smoke_sensor) == "online"
