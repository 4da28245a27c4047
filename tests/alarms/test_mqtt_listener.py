"""Alarms through a real mosquitto broker: per-device credentials, topic ACLs, the listener.

Each test starts Debian's mosquitto on a free loopback port as the demo does
(`alarms.local_broker`, with the files `civicgrid alarms broker-files` writes),
runs the listener in a thread and publishes as the devices do. Under CI a
missing broker fails the run.
"""

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.broker import BrokerAddress
from civicgrid.alarms.listener import RunningListener, start_listener
from civicgrid.alarms.models import Alarm, Device
from civicgrid.cases.models import Case
from civicgrid.db import make_session_factory
from tests.alarms.conftest import Registered
from tests.factories import local_broker, until

ROOT = "civicgrid/devices"
WAIT_SECONDS = 15.0


def _until(check: Callable[[], bool], what: str) -> None:
    until(check, what, WAIT_SECONDS)


@pytest.fixture
def broker(
    db: Session, tmp_path: Path, smoke_sensor: Registered, far_sensor: Registered
) -> Iterator[BrokerAddress]:
    """mosquitto with both test devices' credentials and the listener's account."""
    with local_broker(db, tmp_path / "mosquitto", root=ROOT) as running:
        yield running.address


@pytest.fixture
def listening(engine: Engine, broker: BrokerAddress) -> Iterator[Callable[[], RunningListener]]:
    """Starts the listener (again) on demand; every one started is stopped at the end."""
    started: list[RunningListener] = []

    def start() -> RunningListener:
        running = start_listener(make_session_factory(engine), address=broker, root=ROOT)
        _until(running.listener.subscribed.is_set, "the listener's subscription")
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


class Publisher:
    """A device's MQTT connection, as its firmware would hold it."""

    def __init__(self, address: BrokerAddress, username: str, password: str) -> None:
        self.connected = threading.Event()
        self.refused: object = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"device-{username}")
        self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.connect(address.host, address.port)
        self.client.loop_start()

    def _on_connect(
        self, _client: object, _data: object, _flags: object, reason: mqtt.ReasonCode, _p: object
    ) -> None:
        if reason.is_failure:
            self.refused = reason
        self.connected.set()

    def publish(self, topic: str, payload: bytes | str) -> None:
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=WAIT_SECONDS)
        assert info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def device_link(broker: BrokerAddress) -> Iterator[Callable[[Registered], Publisher]]:
    opened: list[Publisher] = []

    def link(device: Registered, key: str | None = None) -> Publisher:
        """Connected, or refused (`refused` holds the broker's reason)."""
        publisher = Publisher(broker, device.code, key or device.key)
        assert publisher.connected.wait(WAIT_SECONDS)
        opened.append(publisher)
        return publisher

    yield link
    for publisher in opened:
        publisher.close()


def alarm(event_id: str, kind: str = "smoke", **extra: object) -> str:
    return json.dumps({"event_id": event_id, "type": kind, **extra})


def count(engine: Engine, model: type[Alarm] | type[Case]) -> int:
    with Session(engine) as fresh:
        return fresh.scalar(select(func.count()).select_from(model)) or 0


def event_ids(engine: Engine) -> set[str]:
    with Session(engine) as fresh:
        return set(fresh.scalars(select(Alarm.event_id)))


def device_status(engine: Engine, code: str) -> str | None:
    with Session(engine) as fresh:
        return fresh.scalar(select(Device.status).where(Device.code == code))


def test_alarms_published_by_a_device_become_one_case_and_a_repeat_is_stored_once(
    engine: Engine, listening: Callable[[], RunningListener], device_link, smoke_sensor: Registered
):
    listening()
    sensor = device_link(smoke_sensor)
    topic = f"{ROOT}/{smoke_sensor.code}/alarms"
    sensor.publish(topic, alarm("m-1", sub_label="张三"))
    sensor.publish(topic, alarm("m-2"))
    sensor.publish(topic, alarm("m-1"))
    _until(lambda: count(engine, Alarm) == 2, "two alarms stored")
    with Session(engine) as fresh:
        alarms = list(fresh.scalars(select(Alarm).order_by(Alarm.event_id)))
    assert [item.outcome for item in alarms] == ["opened_case", "joined_case"]
    assert alarms[0].case_number == alarms[1].case_number
    assert "张三" not in json.dumps(alarms[0].attributes, ensure_ascii=False)
    assert count(engine, Case) == 1


def test_a_heartbeat_over_mqtt_brings_a_device_online(
    engine: Engine, listening: Callable[[], RunningListener], device_link, far_sensor: Registered
):
    listening()
    assert device_status(engine, far_sensor.code) == "offline"
    device_link(far_sensor).publish(f"{ROOT}/{far_sensor.code}/heartbeat", b"{}")
    _until(lambda: device_status(engine, far_sensor.code) == "online", "the device online")


def test_a_device_cannot_connect_with_a_wrong_key_or_publish_under_another_code(
    engine: Engine,
    listening: Callable[[], RunningListener],
    device_link,
    smoke_sensor: Registered,
    far_sensor: Registered,
):
    listening()
    impostor = device_link(smoke_sensor, key="cgd_not-the-key")
    assert impostor.refused is not None
    sensor = device_link(smoke_sensor)
    assert sensor.refused is None
    # The ACL lets a device write only under its own code: the broker drops this one.
    sensor.publish(f"{ROOT}/{far_sensor.code}/alarms", alarm("forged", "water_level_high"))
    sensor.publish(f"{ROOT}/{smoke_sensor.code}/alarms", alarm("own"))
    _until(lambda: count(engine, Alarm) >= 1, "the device's own alarm")
    with Session(engine) as fresh:
        assert list(fresh.scalars(select(Alarm.event_id))) == ["own"]


def test_bad_messages_are_refused_and_the_listener_goes_on(
    engine: Engine, listening: Callable[[], RunningListener], device_link, smoke_sensor: Registered
):
    listening()
    sensor = device_link(smoke_sensor)
    topic = f"{ROOT}/{smoke_sensor.code}/alarms"
    unstorable = alarm("nul", detail="a\u0000b")
    unknown = alarm("x", "ufo")
    for bad in (b"not json", unknown, json.dumps({"type": "smoke"}), b"\xff\xfe", unstorable):
        sensor.publish(topic, bad)
    sensor.publish(topic, alarm("good"))
    _until(lambda: "good" in event_ids(engine), "the good alarm")
    assert event_ids(engine) == {"good"}
    assert count(engine, Case) == 1  # the good alarm's, none from the refused ones


def test_alarms_sent_while_the_listener_is_down_arrive_when_it_comes_back(
    engine: Engine, listening: Callable[[], RunningListener], device_link, smoke_sensor: Registered
):
    listening().stop()
    sensor = device_link(smoke_sensor)
    topic = f"{ROOT}/{smoke_sensor.code}/alarms"
    for number in range(5):
        sensor.publish(topic, alarm(f"queued-{number}"))
    assert count(engine, Alarm) == 0
    listening()
    _until(lambda: count(engine, Alarm) == 5, "the queued alarms")
