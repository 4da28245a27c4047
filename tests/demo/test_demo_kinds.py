"""The simulator's newer kinds: Frigate's cars and crowds, water-level readings, the SOS.

Played on a fixed clock and seed, in process: each payload is taken by the very
parsers the listener uses (Frigate's events and the readings batch), the scene
tracker judges the cars and crowds under the built-in scene rules, and the
thresholds' excursions judge the water levels under the demo's rule. The trip
through a real broker is tests/demo/test_demo_fleet.py's.
"""

import itertools
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from civicgrid.alarms.broker import ALARMS, READINGS
from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.frigate import FrigateEvent
from civicgrid.alarms.messages import parse_json
from civicgrid.alarms.models import SceneRule
from civicgrid.alarms.readings import parse_batch
from civicgrid.alarms.scenes import EXAMPLES_FILE, SceneTracker
from civicgrid.alarms.thresholds import Excursions, Limit
from civicgrid.demo.fleet import FleetDevice, camera_name, fleet_data
from civicgrid.demo.simulator import FRIGATE, FleetSchedule, Message, Rates
from civicgrid.photostore import check_image

AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def demo_fleet() -> list[FleetDevice]:
    """The demo's devices as fleet.json lists them, without a database."""
    fleet: list[FleetDevice] = []
    for row in fleet_data()["devices"]:
        kind = DeviceKind(row["kind"])
        for name in row["names"]:
            code = f"{len(fleet):020d}"
            camera = camera_name(code) if kind is DeviceKind.CAMERA else None
            pressed = name in row.get("pressed", [])
            fleet.append(FleetDevice(code, kind, name, "key", camera=camera, presses_sos=pressed))
    return fleet


def played(hours: int, *, seed: int = 1, rates: Rates | None = None) -> list[Message]:
    schedule = FleetSchedule(demo_fleet(), seed, AT, rates or Rates())
    return [
        message
        for second in range(0, hours * 3600 + 1, 10)
        for message in schedule.due(AT + timedelta(seconds=second))
    ]


def scene_rules() -> list[SceneRule]:
    examples = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))["rules"]
    return [
        SceneRule(
            id=number,
            region_code="530500",
            camera=None,
            enabled=True,
            **{
                "min_dwell_seconds": 0,
                "min_count": 1,
                "window_start_minute": None,
                "window_end_minute": None,
                **example,
            },
        )
        for number, example in enumerate(examples, start=1)
    ]


def test_three_hours_of_the_demo_hold_every_kind_at_a_low_rate():
    hours = played(3)
    assert hours == played(3)  # seeded
    channels = Counter(message.channel for message in hours)
    assert {READINGS, FRIGATE, ALARMS} <= set(channels)
    water = [d.code for d in demo_fleet() if d.kind is DeviceKind.WATER_LEVEL_SENSOR]
    readings = Counter(message.code for message in hours if message.channel == READINGS)
    assert set(readings) == set(water)
    assert all(170 <= count <= 181 for count in readings.values())  # one a minute
    snapshots = [m for m in hours if m.channel == FRIGATE and m.topic.endswith("/snapshot")]
    assert snapshots
    cars = {m.payload["after"]["id"] for m in hours if isinstance(m.payload, dict) and m.topic}
    assert len(cars) <= 3 * 60  # cars now and then, not a car park


def test_the_school_button_is_pressed_rarely_and_never_in_the_first_minutes():
    school = next(device.code for device in demo_fleet() if device.presses_sos)
    sos = [
        m
        for m in played(6)
        if m.channel == ALARMS and isinstance(m.payload, dict) and m.payload["type"] == "sos"
    ]
    assert sos
    assert {m.code for m in sos} == {school}
    assert sos[0].at - AT >= timedelta(minutes=10)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(sos)]
    assert all(gap >= timedelta(hours=1) for gap in gaps)


def test_frigate_payloads_parse_and_a_lingering_car_and_a_crowd_fire_the_scene_rules():
    messages = played(2, rates=Rates(crowd_hours=0.5))
    tracker = SceneTracker()
    rules = scene_rules()
    fired: Counter[str] = Counter()
    for message in messages:
        if message.channel != FRIGATE:
            continue
        payload = message.payload
        if message.topic.endswith("/snapshot"):
            assert isinstance(payload, bytes)
            check_image(payload)  # what a case's photo must be
            continue
        event = parse_json(json.dumps(payload).encode(), FrigateEvent)
        tracked = tracker.observe(event)
        fired.update(match.rule.alarm_type for match in tracker.matches(rules, tracked))
        tracker.forget_ended(tracked)
    assert fired["illegal_parking"] >= 1
    # A crowd fires once for each arrival past the rule's count, a handful at most.
    assert 1 <= fired["crowding"] <= 4 * 3


def test_readings_parse_and_each_surge_over_the_demo_rule_raises_one_alarm():
    rule = fleet_data()["water_level_rule"]
    limit = Limit(
        id=1,
        measure=rule["measure"],
        comparison=rule["comparison"],
        limit=rule["limit"],
        duration=timedelta(seconds=rule["duration_seconds"]),
        alarm_type=rule["alarm_type"],
        device_kind=DeviceKind.WATER_LEVEL_SENSOR.value,
        device_code=None,
        updated_at=AT,
    )
    excursions = Excursions()
    triggers = []
    surges: Counter[str] = Counter()
    above: dict[str, bool] = {}
    for message in played(4, rates=Rates(surge_chance=0.6)):
        if message.channel != READINGS:
            continue
        batch = parse_batch(json.dumps(message.payload).encode())
        for reading in batch.readings:
            high = limit.breached(reading.value)
            surges[message.code] += int(high and not above.get(message.code, False))
            above[message.code] = high
            trigger = excursions.observe(limit, message.code, reading.at, reading.value)
            triggers += [trigger] if trigger else []
    assert sum(surges.values()) >= 2
    assert len(triggers) == sum(surges.values())
    assert {trigger.rule.alarm_type for trigger in triggers} == {"water_level_high"}
