"""The demo's device fleet: registered through the services, and alive through a real broker.

`civicgrid demo` registers cameras, sensors and SOS buttons with valid GB/T
28181 codes in the grids their points lie in and keeps their keys for the
simulator (the command itself: tests/cli/test_commands.py); the simulator,
connected as those devices to the demo's own mosquitto, publishes heartbeats
and alarms that the listener turns into alarms and cases a dispatcher reads
through the API.
"""

import socket
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.broker import ALARMS, HEARTBEAT, FrigateSource
from civicgrid.alarms.device_codes import TYPE_CODES, DeviceKind, parse_device_code
from civicgrid.alarms.device_keys import key_matches
from civicgrid.alarms.listener import start_listener
from civicgrid.alarms.local_broker import mosquitto_binary
from civicgrid.alarms.models import Alarm, Device, SceneRule, ThresholdRule
from civicgrid.auth.service import create_department
from civicgrid.cases.models import Case, CasePhoto
from civicgrid.categories.seeds import seed_builtin
from civicgrid.console import console_actor
from civicgrid.db import make_session_factory
from civicgrid.demo.city import CityPlan, plan_city
from civicgrid.demo.fleet import FleetDevice, ensure_demo_rules, ensure_fleet, fleet_data
from civicgrid.demo.simulator import FRIGATE, FleetLink, FleetSchedule, Message, Rates
from civicgrid.divisions import Level
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex, locate, save_regions
from civicgrid.timeutil import utcnow
from tests.factories import OWN_STREET, People, auth, local_broker, run, until

ROOT = "civicgrid/devices"
DEMO_SEED = 20261123
AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
FIRST_STREET = "530502001"  # 兰城街道, where the demo's street dispatcher works


@pytest.fixture(scope="module")
def demo_plan() -> CityPlan:
    return plan_city("530500", grid_count=200, seed=DEMO_SEED)


@pytest.fixture
def demo_fleet(db: Session, demo_plan: CityPlan) -> list[FleetDevice]:
    """The demo city's regions and departments (no accounts, no cases) and its fleet."""
    save_regions(db, demo_plan.regions, kind="demo", summary="fleet test")
    for department in demo_plan.departments:
        create_department(db, **asdict(department))
    fleet = ensure_fleet(db, console_actor(), grid_index=GridIndex(), seed=DEMO_SEED, known_keys={})
    db.commit()
    return fleet


def test_the_demo_fleet_has_valid_codes_inside_the_right_grids(
    db: Session, demo_fleet: list[FleetDevice]
):
    devices = list(db.scalars(select(Device).order_by(Device.code)))
    assert [d.code for d in devices] == sorted(device.code for device in demo_fleet)
    index = GridIndex()
    for device in devices:
        code = parse_device_code(device.code)
        assert code.type_code in TYPE_CODES[DeviceKind(device.kind)]
        assert code.centre == device.region_code[:6] + "00", device.code
        placed = locate(db, index, lng=device.lng, lat=device.lat, crs="wgs84")
        assert placed.regions[Level.GRID].code == device.region_code, device.name
        assert device.department_id is not None
    kinds = Counter(device.kind for device in devices)
    assert set(kinds) == set(DeviceKind) - {DeviceKind.RECORDER, DeviceKind.ALARM_PANEL}
    buttons = [device.name for device in devices if device.kind == DeviceKind.SOS_BUTTON]
    assert len(buttons) == 2
    assert any("小学" in name for name in buttons)
    assert any("医院" in name for name in buttons)
    # Most stand in 兰城街道, where the demo's street dispatcher works.
    in_first_street = [d for d in devices if d.region_code.startswith(FIRST_STREET)]
    assert len(in_first_street) >= len(devices) // 3
    # Water levels by the rivers of every district's first town, too.
    water = {d.region_code[:6] for d in devices if d.kind == DeviceKind.WATER_LEVEL_SENSOR}
    assert water == {"530502", "530521", "530523", "530524", "530581"}


def test_registering_again_keeps_the_known_keys_and_renews_a_lost_one(
    db: Session, demo_fleet: list[FleetDevice]
):
    keys = {device.code: device.key for device in demo_fleet}
    lost = demo_fleet[0].code
    again = ensure_fleet(
        db,
        console_actor(),
        grid_index=GridIndex(),
        seed=DEMO_SEED,
        known_keys={code: key for code, key in keys.items() if code != lost},
    )
    db.commit()
    assert db.scalar(select(func.count()).select_from(Device)) == len(demo_fleet)
    renewed = {device.code: device.key for device in again}
    assert renewed[lost] != keys[lost]
    assert {c: k for c, k in renewed.items() if c != lost} == {
        c: k for c, k in keys.items() if c != lost
    }
    for device in db.scalars(select(Device)):
        assert key_matches(device.key_hash, renewed[device.code])


def test_the_demo_rules_are_seeded_once_and_its_cameras_have_frigate_names(
    db: Session, demo_fleet: list[FleetDevice]
):
    ensure_demo_rules(db, console_actor())
    ensure_demo_rules(db, console_actor())
    db.commit()
    scenes = Counter(db.scalars(select(SceneRule.alarm_type)))
    assert scenes["illegal_parking"] == 1
    assert scenes["crowding"] == 1
    thresholds = list(db.scalars(select(ThresholdRule)))
    assert [(t.device_kind, t.alarm_type) for t in thresholds] == [
        ("water_level_sensor", "water_level_high")
    ]
    cameras = db.scalars(select(Device).where(Device.kind == DeviceKind.CAMERA.value))
    assert {camera.frigate_camera for camera in cameras} == {
        device.camera for device in demo_fleet if device.kind is DeviceKind.CAMERA
    }


def sample(fleet: list[FleetDevice]) -> list[FleetDevice]:
    """One device of each kind that raises a case or none: a small, fast fleet."""
    wanted = (DeviceKind.SMOKE_SENSOR, DeviceKind.WATER_LEVEL_SENSOR, DeviceKind.CAMERA)
    return [next(device for device in fleet if device.kind is kind) for kind in wanted]


@pytest.mark.usefixtures("city")
def test_the_simulated_fleet_publishes_alarms_and_a_case_a_dispatcher_reads(
    engine: Engine, db: Session, people: People, client: TestClient, tmp_path: Path
):
    seed_builtin(db)
    fleet = sample(ensure_fleet(db, console_actor(), grid_index=GridIndex(), seed=5, known_keys={}))
    db.commit()
    with local_broker(db, tmp_path / "broker", root=ROOT) as broker:
        listener = start_listener(make_session_factory(engine), address=broker.address, root=ROOT)
        link = FleetLink(broker.address, fleet, ROOT)
        try:
            until(listener.listener.subscribed.is_set, "the listener's subscription")
            assert link.wait_connected(15)
            # Five minutes of a busy fleet (an alarm every 20 s), played on the test's clock.
            start = utcnow() - timedelta(minutes=5)
            schedule = FleetSchedule(fleet, 11, start, Rates(alarm_minutes=1 / 3))
            sent = []
            for second in range(0, 301, 10):
                messages = schedule.due(start + timedelta(seconds=second))
                for info in link.send(messages):
                    info.wait_for_publish(15)
                sent += messages
            alarms = {
                m.payload["event_id"]
                for m in sent
                if m.channel == ALARMS and isinstance(m.payload, dict)
            }
            assert len(alarms) >= 3

            def stored() -> set[str]:
                with Session(engine) as fresh:
                    return set(fresh.scalars(select(Alarm.event_id)))

            until(lambda: stored() == alarms, "every simulated alarm stored")
        finally:
            link.close()
            listener.stop()
    headers = auth(client, people.owner)  # the dispatcher of the devices' street
    listed = client.get("/api/v1/alarms", headers=headers, params={"limit": 100})
    assert listed.status_code == 200, listed.text
    assert {alarm["event_id"] for alarm in listed.json()} == alarms
    numbers = {alarm["case_number"] for alarm in listed.json() if alarm["case_number"]}
    assert numbers
    case = client.get(f"/api/v1/cases/{sorted(numbers)[0]}", headers=headers)
    assert case.status_code == 200, case.text
    assert case.json()["channel"] == "device"
    assert case.json()["region_code"].startswith(OWN_STREET)
    online = client.get("/api/v1/devices", headers=headers, params={"status": "online"})
    assert {device["code"] for device in online.json()} == {device.code for device in fleet}


@pytest.mark.usefixtures("city", "photo_dir")
def test_the_simulated_frigate_parks_a_car_into_an_illegal_parking_case_with_its_snapshot(
    engine: Engine, db: Session, people: People, client: TestClient, tmp_path: Path
):
    seed_builtin(db)
    fleet = ensure_fleet(db, console_actor(), grid_index=GridIndex(), seed=5, known_keys={})
    ensure_demo_rules(db, console_actor())
    db.commit()
    camera = next(device for device in fleet if device.camera is not None)
    frigate = FrigateSource("demo-frigate", "frigate-password")
    with local_broker(db, tmp_path / "broker", root=ROOT, frigate=frigate) as broker:
        listener = start_listener(make_session_factory(engine), address=broker.address, root=ROOT)
        link = FleetLink(broker.address, [camera], ROOT, frigate)
        try:
            until(listener.listener.subscribed.is_set, "the listener's subscription")
            assert link.wait_connected(15)
            # A quarter of an hour of one camera's cars (one every half minute), played fast.
            start = utcnow() - timedelta(minutes=15)
            schedule = FleetSchedule([camera], 3, start, Rates(car_minutes=0.5))
            for second in range(0, 15 * 60 + 1, 10):
                messages = schedule.due(start + timedelta(seconds=second))
                frigates = [m for m in messages if m.channel == FRIGATE]
                for info in link.send(frigates):
                    info.wait_for_publish(15)

            def parked() -> list[Alarm]:
                with Session(engine) as fresh:
                    query = select(Alarm).where(Alarm.alarm_type == "illegal_parking")
                    return list(fresh.scalars(query))

            until(lambda: bool(parked()), "an illegal parking alarm")
        finally:
            link.close()
            listener.stop()
    alarm = parked()[0]
    assert alarm.attributes["camera"] == camera.camera
    case = db.scalar(select(Case).where(Case.number == alarm.case_number))
    assert case is not None
    photos = list(db.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id)))
    # Its snapshot, and one more for each car that lingered there since (folded into it).
    assert photos
    assert {photo.purpose for photo in photos} == {"report"}
    headers = auth(client, people.owner)  # the dispatcher of the camera's street
    listed = client.get("/api/v1/alarms", headers=headers, params={"limit": 100})
    assert alarm.event_id in {item["event_id"] for item in listed.json()}


def one_hour(seed: int) -> list[Message]:
    """The demo fleet's first hour, played on a fixed clock."""
    kinds = [kind for row in fleet_data()["devices"] for kind in [row["kind"]] * len(row["names"])]
    fleet = [
        FleetDevice(f"{number:020d}", DeviceKind(kind), kind, "key")
        for number, kind in enumerate(kinds)
    ]
    schedule = FleetSchedule(fleet, seed, AT)
    return [m for second in range(0, 3601, 5) for m in schedule.due(AT + timedelta(seconds=second))]


def test_the_fleet_keeps_alive_and_alarms_now_and_then_without_flooding_the_desk():
    hour = one_hour(seed=1)
    assert hour == one_hour(seed=1)  # seeded: the same demo every time
    beats = Counter(m.code for m in hour if m.channel == HEARTBEAT)
    assert all(50 <= count <= 75 for count in beats.values())
    alarms = [m for m in hour if m.channel == ALARMS]
    assert 5 <= len(alarms) <= 80
    assert alarms[0].at - AT <= timedelta(minutes=2)
    assert len({m.payload["event_id"] for m in alarms}) == len(alarms)
    # Bursts: some device repeats its alarm within a few minutes.
    repeats = Counter((m.code, m.payload["type"]) for m in alarms)
    assert max(repeats.values()) >= 2


def test_the_demo_refuses_to_serve_when_another_program_holds_1883_before_building(
    cli_env: Path, db: Session
):
    if mosquitto_binary() is None:
        pytest.skip("the message without mosquitto is another one")
    with socket.socket() as stranger:
        stranger.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            stranger.bind(("127.0.0.1", 1883))
            stranger.listen()
        except OSError:
            pass  # something else holds it already: the demo must refuse all the same
        result = run("demo", "--grids", "200", "--cases", "0", "--serve")
    assert result.exit_code == 2
    assert "127.0.0.1:1883" in result.output
    assert "--no-devices" in result.output
    assert db.scalar(select(func.count()).select_from(Region)) == 0
