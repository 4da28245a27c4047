"""Alarms through a real mosquitto broker: per-device credentials, topic ACLs, the listener.

Each test starts Debian's mosquitto on a free loopback port with the files
`civicgrid alarms broker-files` writes, runs the listener in a thread and
publishes as the devices do. Under CI a missing broker fails the run.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pyarrow.parquet as pq
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.broker import BrokerAddress, write_broker_files
from civicgrid.alarms.listener import RunningListener, start_listener
from civicgrid.alarms.models import Alarm, Device
from civicgrid.cases.models import Case
from civicgrid.db import make_session_factory
from civicgrid.timeutil import utcnow
from tests.alarms.conftest import Registered

ROOT = "civicgrid/devices"
LISTENER = "civicgrid-listener"
WAIT_SECONDS = 15.0


def _mosquitto() -> str:
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI requires mosquitto (scripts/system-deps.sh installs it)")
    pytest.skip("mosquitto is not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _until(check: Callable[[], bool], what: str) -> None:
    """Wait for the broker and listener, real processes and threads, to get somewhere."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.fixture
def broker(
    db: Session, tmp_path: Path, smoke_sensor: Registered, far_sensor: Registered
) -> Iterator[BrokerAddress]:
    """mosquitto with both test devices' credentials and the listener's account."""
    address = BrokerAddress("127.0.0.1", _free_port(), LISTENER, "listener-secret")
    write_broker_files(db, tmp_path / "mosquitto", address, ROOT)
    process = subprocess.Popen(
        [_mosquitto(), "-c", str(tmp_path / "mosquitto" / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _until(lambda: _accepts(address.port) or process.poll() is not None, "mosquitto")
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        yield address
    finally:
        process.terminate()
        process.wait(10)


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
