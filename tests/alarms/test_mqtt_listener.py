"""Alarms through a real mosquitto broker: per-device credentials, topic ACLs, the listener.

Each test starts Debian's mosquitto on a free loopback port as the demo does
(`alarms.local_broker`, with the files `civicgrid alarms broker-files` writes),
runs the listener in a thread and publishes as the devices do. Under CI a
missing broker fails the run.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pyarrow.parquet as pq
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.broker import BrokerAddress, FrigateSource
from civicgrid.alarms.listener import RunningListener, start_listener
from civicgrid.alarms.models import Alarm, AlarmCase, DeadLetter, Device
from civicgrid.cases.models import Case, CasePhoto
from civicgrid.db import Base, make_session_factory
from civicgrid.timeutil import utcnow
from tests.alarms.conftest import (
    FRIGATE_CAMERA,
    Registered,
    frigate_event,
    frigate_review,
    jpeg,
)
from tests.factories import local_broker, until

ROOT = "civicgrid/devices"
FRIGATE = FrigateSource("frigate-source", "frigate-secret")
WAIT_SECONDS = 15.0


def _until(check: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    until(check, what, seconds)


@pytest.fixture
def broker(
    db: Session,
    tmp_path: Path,
    smoke_sensor: Registered,
    far_sensor: Registered,
    frigate_camera: Registered,
) -> Iterator[BrokerAddress]:
    """mosquitto with the test devices' credentials, Frigate's and the listener's account."""
    with local_broker(db, tmp_path / "mosquitto", root=ROOT, frigate=FRIGATE) as running:
        yield running.address


@pytest.fixture
def listening(
    engine: Engine, broker: BrokerAddress, tmp_path: Path
) -> Iterator[Callable[[], RunningListener]]:
    """Starts the listener (again) on demand; every one started is stopped at the end."""
    started: list[RunningListener] = []

    def start() -> RunningListener:
        running = start_listener(
            make_session_factory(engine),
            address=broker,
            root=ROOT,
            readings_dir=tmp_path / "var" / "archive" / "readings",
        )
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


def frigate_link(broker: BrokerAddress) -> Publisher:
    publisher = Publisher(broker, FRIGATE.username, FRIGATE.password)
    assert publisher.connected.wait(WAIT_SECONDS)
    assert publisher.refused is None
    return publisher


def count_rows(engine: Engine, model: type[Any]) -> int:
    with Session(engine) as fresh:
        return fresh.scalar(select(func.count()).select_from(model)) or 0


def every_stored_row(engine: Engine) -> str:
    """Every row of every table, as text: what an identity must not be found in."""
    with Session(engine) as fresh:
        return "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in fresh.execute(select(table))
        )


IDENTITIES: dict[str, Any] = {"sub_label": ["张三", 0.93], "recognized_license_plate": "云A12345"}


def test_frigate_reports_a_car_parked_five_minutes_in_a_no_parking_zone_as_a_case_with_its_snapshot(
    engine: Engine,
    listening: Callable[[], RunningListener],
    broker: BrokerAddress,
    photo_dir: Path,
):
    listening()
    frigate = frigate_link(broker)
    start = time.time() - 400
    frigate.publish(f"frigate/{FRIGATE_CAMERA}/car/snapshot", jpeg())
    frigate.publish("frigate/events", frigate_event("new", "9.1-car", at=start, start=start))
    parked = frigate_event("update", "9.1-car", at=start + 360, start=start, **IDENTITIES)
    frigate.publish("frigate/events", parked)
    frigate.publish("frigate/events", parked)  # Frigate, or the broker, sends it again
    _until(lambda: count_rows(engine, CasePhoto) == 1, "the case with the snapshot")
    with Session(engine) as fresh:
        [alarm] = fresh.scalars(select(Alarm))
        case = fresh.scalar(select(Case).where(Case.number == alarm.case_number))
    assert alarm.alarm_type == "illegal_parking"
    assert alarm.attributes["scene_rule"] == "禁停区车辆停留 5 分钟"
    assert case is not None
    assert case.category_code == "UM-02-05"
    assert count_rows(engine, DeadLetter) == 0


def test_identity_fields_sent_by_frigate_or_a_device_reach_no_table(
    engine: Engine,
    listening: Callable[[], RunningListener],
    broker: BrokerAddress,
    device_link,
    smoke_sensor: Registered,
):
    listening()
    frigate = frigate_link(broker)
    start = time.time() - 10
    frigate.publish(
        "frigate/events",
        frigate_event(
            "new",
            "9.2-bike",
            at=start,
            start=start,
            label="bicycle",
            zones=("elevator",),
            **IDENTITIES,
        ),
    )
    frigate.publish("frigate/reviews", frigate_review("9.3-review", at=start))
    broken = frigate_event("new", "9.4-car", at=start, start=start, **IDENTITIES).decode()[:-40]
    frigate.publish("frigate/events", broken)
    sensor = device_link(smoke_sensor)
    sensor.publish(
        f"{ROOT}/{smoke_sensor.code}/alarms",
        alarm("id-1", attributes={"车牌": "云A12345", "face": {"name": "张三"}}),
    )
    _until(lambda: "id-1" in event_ids(engine), "the sensor's alarm")
    _until(lambda: count_rows(engine, DeadLetter) == 1, "the broken event's dead letter")
    assert {"frigate-9.2-bike-r3", "id-1"} <= event_ids(engine)
    stored = every_stored_row(engine)
    for identity in ("张三", "云A12345"):
        assert identity not in stored


def test_garbage_from_frigate_and_devices_becomes_dead_letters_and_a_good_alarm_still_lands(
    engine: Engine,
    listening: Callable[[], RunningListener],
    broker: BrokerAddress,
    device_link,
    smoke_sensor: Registered,
):
    listening()
    frigate = frigate_link(broker)
    now = time.time()
    garbage = [
        ("frigate/events", b"{not json"),
        ("frigate/events", frigate_event("new", "x-1", at=now, start=now, camera="back_yard")),
        ("frigate/events", json.dumps({"type": "moved", "after": {}}).encode()),
        ("frigate/reviews", b"[" * 70_000),
        ("frigate/back_yard/car/snapshot", jpeg()),
    ]
    for topic, payload in garbage:
        frigate.publish(topic, payload)
    # The ACL keeps Frigate's account out of the devices' topics: the broker drops this.
    frigate.publish(f"{ROOT}/{smoke_sensor.code}/alarms", alarm("forged-by-frigate"))
    sensor = device_link(smoke_sensor)
    topic = f"{ROOT}/{smoke_sensor.code}/alarms"
    sensor.publish(topic, alarm("x", "ufo"))
    sensor.publish(topic, b"\xff\xfe")
    sensor.publish(topic, alarm("good"))
    _until(lambda: "good" in event_ids(engine), "the good alarm")
    _until(lambda: count_rows(engine, DeadLetter) == 7, "seven dead letters")
    with Session(engine) as fresh:
        letters = list(fresh.scalars(select(DeadLetter).order_by(DeadLetter.id)))
    assert [letter.reason for letter in letters] == [
        "bad_json",
        "unknown_camera",
        "schema",
        "oversize",
        "unknown_camera",
        "unknown_type",
        "bad_json",
    ]
    assert letters[3].payload_bytes == 70_000
    assert len(letters[3].payload) <= 2000
    assert letters[5].region_code == smoke_sensor.grid
    assert event_ids(engine) == {"good"}


def test_a_frigate_review_is_accepted_and_brings_its_camera_online(
    engine: Engine,
    listening: Callable[[], RunningListener],
    broker: BrokerAddress,
    frigate_camera: Registered,
):
    listening()
    frigate_link(broker).publish("frigate/reviews", frigate_review("9.5-review", at=time.time()))
    _until(lambda: device_status(engine, frigate_camera.code) == "online", "the camera online")
    assert count_rows(engine, DeadLetter) == 0


STORM = 10_000


def publish_all(sensor: Publisher, topic: str, event_ids: list[str]) -> None:
    """As fast as the device's connection takes them, QoS 1, waiting only for the last."""
    sent = [sensor.client.publish(topic, alarm(event_id), qos=1) for event_id in event_ids]
    sent[-1].wait_for_publish(timeout=120)


def case_counts(engine: Engine) -> list[int]:
    with Session(engine) as fresh:
        return list(fresh.scalars(select(AlarmCase.alarm_count)))


def test_ten_thousand_alarms_from_one_device_in_a_minute_become_one_case_with_the_count(
    engine: Engine, listening: Callable[[], RunningListener], device_link, smoke_sensor: Registered
):
    listening()
    sensor = device_link(smoke_sensor)
    started = time.monotonic()

    publish_all(sensor, f"{ROOT}/{smoke_sensor.code}/alarms", [f"s-{n}" for n in range(STORM)])
    _until(lambda: count(engine, Alarm) == STORM, "every alarm of the storm", seconds=60)

    took = time.monotonic() - started
    print(f"\n{STORM} alarms through the broker in {took:.1f} s: {STORM / took:.0f} alarms/s")
    assert took < 60
    assert count(engine, Case) == 1
    assert case_counts(engine) == [STORM]


CIVICGRID = Path(sys.executable).parent / "civicgrid"


def test_a_listener_killed_mid_stream_loses_and_doubles_nothing(  # noqa: PLR0917
    engine: Engine,
    database_url: str,
    broker: BrokerAddress,
    device_link,
    smoke_sensor: Registered,
    far_sensor: Registered,
    tmp_path: Path,
):
    env = {
        **os.environ,
        "CIVICGRID_DATABASE_URL": database_url,
        "CIVICGRID_DATA_DIR": str(tmp_path / "var"),
        "CIVICGRID_MQTT_URL": f"mqtt://{broker.username}:{broker.password}@127.0.0.1:{broker.port}",
        "CIVICGRID_MQTT_TOPIC_ROOT": ROOT,
    }

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(CIVICGRID), "alarms", "listen"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "listener.log").open("ab"),
        )

    listener = start()
    probe = device_link(far_sensor)
    # Subscribed once a heartbeat gets through; the session then outlives the process.
    _until(
        lambda: (
            probe.publish(f"{ROOT}/{far_sensor.code}/heartbeat", b"{}") is None
            and device_status(engine, far_sensor.code) == "online"
        ),
        "the listener's subscription",
        seconds=60,
    )
    total = 5000
    publish_all(
        device_link(smoke_sensor),
        f"{ROOT}/{smoke_sensor.code}/alarms",
        [f"k-{n}" for n in range(total)],
    )
    _until(lambda: count(engine, Alarm) > 0, "the first batch", seconds=60)
    listener.send_signal(signal.SIGKILL)
    listener.wait(10)
    stored_at_kill = count(engine, Alarm)

    listener = start()
    try:
        _until(lambda: count(engine, Alarm) == total, "every alarm after the restart", seconds=90)
    finally:
        listener.terminate()
        listener.wait(10)

    assert stored_at_kill < total  # the kill landed mid-stream
    assert event_ids(engine) == {f"k-{n}" for n in range(total)}
    assert count(engine, Case) == 1
    assert case_counts(engine) == [total]


# --- sensor readings ------------------------------------------------------------------


def readings(start: datetime, count: int, measure: str = "water_level") -> str:
    """One batch as a device or gateway sends it: a reading a second from `start`."""
    items = [
        {"measure": measure, "at": (start + timedelta(seconds=n)).isoformat(), "value": 1.0 + n}
        for n in range(count)
    ]
    return json.dumps({"readings": items})


def stored_keys(root: Path) -> Counter[tuple[str, str, datetime]]:
    rows = [row for path in root.rglob("r-*.parquet") for row in pq.read_table(path).to_pylist()]
    return Counter((row["device_code"], row["measure"], row["measured_at"]) for row in rows)


def test_readings_over_mqtt_are_stored_once_and_bad_ones_refused_while_the_listener_goes_on(
    listening: Callable[[], RunningListener], device_link, far_sensor: Registered, tmp_path: Path
):
    listening()
    sensor = device_link(far_sensor)
    topic = f"{ROOT}/{far_sensor.code}/readings"
    start = utcnow() - timedelta(minutes=30)
    nan = readings(start, 1).replace("1.0", "NaN")
    huge = readings(start, 1001)
    unknown = readings(start, 2, measure="radiation")
    for bad in (b"{not json", nan.encode(), huge.encode(), unknown.encode(), b"\xff\xfe"):
        sensor.publish(topic, bad)
    sensor.publish(topic, readings(start, 10))
    sensor.publish(topic, readings(start, 20))  # the first ten again: a device's retry
    root = tmp_path / "var" / "archive" / "readings"
    _until(lambda: sum(stored_keys(root).values()) >= 20, "twenty readings stored")
    keys = stored_keys(root)
    assert len(keys) == 20
    assert set(keys.values()) == {1}
    assert {measure for _, measure, _ in keys} == {"water_level"}


def _first_file(root: Path, process: subprocess.Popen[bytes]) -> None:
    """A listener process takes seconds to start on a busy machine: a minute at most."""
    deadline = time.monotonic() + 60
    while not any(root.rglob("r-*.parquet")):
        assert process.poll() is None, "the listener process ended"
        assert time.monotonic() < deadline, "no file of readings within a minute"
        time.sleep(0.005)


def test_a_listener_killed_mid_stream_stores_every_reading_exactly_once(  # noqa: PLR0917
    engine: Engine,
    broker: BrokerAddress,
    listening: Callable[[], RunningListener],
    device_link,
    far_sensor: Registered,
    cli_env: Path,
    tmp_path: Path,
):
    root = cli_env / "archive" / "readings"
    listening().stop()  # the listener's session exists: the broker keeps what comes meanwhile
    url = f"mqtt://{broker.username}:{broker.password}@{broker.host}:{broker.port}"
    process = subprocess.Popen(
        [sys.executable, "-c", "from civicgrid.cli import main; main()", "alarms", "listen"],
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "CIVICGRID_MQTT_URL": url,
            "CIVICGRID_MQTT_TOPIC_ROOT": ROOT,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sensor = device_link(far_sensor)
    topic = f"{ROOT}/{far_sensor.code}/readings"
    start = utcnow() - timedelta(hours=1)
    messages = 120
    try:
        for number in range(messages):
            sensor.publish(topic, readings(start + timedelta(seconds=25 * number), 25))
            if number == messages // 3:
                _first_file(root, process)
                process.send_signal(signal.SIGKILL)
            time.sleep(0.01)
    finally:
        process.kill()
        process.wait()
    assert sum(stored_keys(root).values()) < messages * 25, "the kill came after the stream"

    listening_again = start_listener(
        make_session_factory(engine), address=broker, root=ROOT, readings_dir=root
    )
    try:
        _until(lambda: sum(stored_keys(root).values()) >= messages * 25, "every reading")
        time.sleep(0.5)
    finally:
        listening_again.stop()
    keys = stored_keys(root)
    assert len(keys) == messages * 25
    assert set(keys.values()) == {1}
    assert not list(root.rglob("*.tmp"))
