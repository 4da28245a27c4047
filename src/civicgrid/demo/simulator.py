"""The demo fleet come to life: devices that publish over MQTT as real ones would.

Each device connects to the broker with its own code and key (so the broker's
password file and ACL are exercised exactly as in production) and publishes,
with QoS 1, the kinds of message of `KINDS`, each at a low, demo-friendly rate:

- a heartbeat about every minute;
- now and then an alarm in the generic JSON schema on `<root>/<code>/alarms`
  (the whole fleet raises one about every `Rates.alarm_minutes`, the first
  within a minute or two); a smoke sensor that flaps repeats its alarm a few
  times over the next minutes, which the rules' dedupe window folds into one case;
- every minute a water-level sensor's reading on `<root>/<code>/readings` (the
  documented batch schema), on a daily curve; now and then the water rises over
  the demo's threshold rule (`fleet.ensure_demo_rules`) for a quarter of an hour,
  one excursion and so one `water_level_high` alarm;
- rarely the school's SOS button pressed (`sos` on its alarms topic): never in
  the first minutes, at most once an hour;
- as the demo's Frigate server (its own broker account, `FrigateSource`), the
  cameras' tracked objects on `frigate/events` with a small generated JPEG on
  `frigate/<camera>/<label>/snapshot`: a car in a `no_parking` zone that often
  leaves within minutes and now and then lingers past the built-in scene rule's
  five minutes (every camera's first car lingers), and rarely a crowd of people
  in a `crowd_watch` zone, so the scene rules open 违停占道 and 人员聚集 cases.

A new kind of message is one more row in `KINDS`: which devices send it, how
long one waits between two, and what it sends. `FleetSchedule` is pure and
seeded: given the same devices, seed and clock it yields the same messages, so a
test can drive it with its own clock; `FleetSimulator` runs it against the real
clock in a thread.
"""

import heapq
import io
import itertools
import json
import logging
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from PIL import Image, ImageDraw

from civicgrid.alarms.broker import ALARMS, HEARTBEAT, READINGS, BrokerAddress, FrigateSource
from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.demo.fleet import FleetDevice, fleet_data
from civicgrid.timeutil import utcnow

log = logging.getLogger(__name__)
QOS = 1
TICK_SECONDS = 1.0
# A flapping sensor repeats its alarm this many seconds apart, give or take half.
FLAP_SECONDS = 40.0
# Messages the demo's Frigate server publishes, under its own account and prefix.
FRIGATE = "frigate"
EVENTS_TOPIC = "events"
# Frigate reports a tracked object about this often while it stays.
FRIGATE_UPDATE_SECONDS = 60.0
NO_PARKING = "no_parking"
CROWD_WATCH = "crowd_watch"
# The built-in crowding rule wants more than 20 people at once.
CROWD_SIZE = (21, 24)
SNAPSHOT_SIZE = (320, 180)
# A water-level sensor's readings come an hour at a time, one a minute.
READINGS_HOUR = 60
WATER_LEVEL = "water_level"
# The demo's threshold rule (fleet.ensure_demo_rules) and how far a surge goes past it.
SURGE_PEAK = (2.3, 2.8)


@dataclass(frozen=True)
class Rates:
    """How busy the fleet is: low enough that a demo's desk is not flooded."""

    heartbeat_seconds: float = 60.0
    # The whole fleet's mean gap between two alarm episodes (a burst counts once).
    alarm_minutes: float = 3.0
    # One device raises its first alarm about this soon, so a fresh demo shows one at once.
    first_alarm_seconds: float = 60.0
    # All cameras together: the mean gap between two cars, how often one lingers, crowds.
    car_minutes: float = 6.0
    linger_chance: float = 0.3
    crowd_hours: float = 3.0
    # The chance that a water-level sensor's hour holds a surge over the threshold.
    surge_chance: float = 0.05
    # The school's SOS button: never before the first, never twice within the least gap.
    sos_first_minutes: float = 10.0
    sos_least_minutes: float = 60.0
    sos_mean_minutes: float = 60.0


Payload = dict[str, Any] | bytes


@dataclass(frozen=True)
class Message:
    """`topic`: for Frigate's messages, the topic under its prefix; else the device's channel."""

    at: datetime
    code: str
    channel: str
    payload: Payload
    topic: str = ""


class Sent(NamedTuple):
    delay: float
    payload: Payload
    topic: str = ""


@dataclass
class Episode:
    """What one device sends on one occasion, each part some seconds from now."""

    payloads: list[Sent]


@dataclass(frozen=True)
class Occasion:
    """What a kind's maker knows: when, which device, and how many it made for it before."""

    rng: random.Random
    rates: Rates
    device: FleetDevice
    at: datetime
    made: int
    event_id: Callable[[], str]


# How long a device waits before its next message of a kind, and what it then sends.
Gap = Callable[[random.Random, Rates, FleetDevice, int], float]
Make = Callable[[Occasion], Episode | None]


def _everyone(_device: FleetDevice) -> bool:
    return True


@dataclass(frozen=True)
class MessageKind:
    """`first`: the wait before a device's first (default: `gap`); `early`: one applying
    device sends its first within about `Rates.first_alarm_seconds`."""

    channel: str
    gap: Gap
    make: Make
    applies: Callable[[FleetDevice], bool] = _everyone
    first: Gap | None = None
    early: bool = False


def _within_seconds(rng: random.Random, _rates: Rates, _device: FleetDevice, _n: int) -> float:
    """Heartbeats and readings start within seconds, so the map turns online at once."""
    return rng.uniform(1.0, 10.0)


def _heartbeat_gap(rng: random.Random, rates: Rates, _device: FleetDevice, _fleet: int) -> float:
    return rates.heartbeat_seconds * rng.uniform(0.8, 1.2)


def _heartbeat(_occasion: Occasion) -> Episode:
    return Episode([Sent(0.0, {})])


def _alarm_gap(rng: random.Random, rates: Rates, device: FleetDevice, fleet: int) -> float:
    """Exponential gaps, so the fleet's alarms arrive as a Poisson stream at the chosen rate."""
    mean = rates.alarm_minutes * 60.0 * fleet / max(device.rate, 0.01)
    return rng.expovariate(1.0 / mean)


def _patterns(device: FleetDevice) -> list[dict[str, Any]]:
    patterns: list[dict[str, Any]] = fleet_data()["alarms"].get(device.kind.value, [])
    return patterns


def _alarm(occasion: Occasion) -> Episode | None:
    rng = occasion.rng
    patterns = _patterns(occasion.device)
    if not patterns:
        return None
    pattern = rng.choices(patterns, weights=[p["weight"] for p in patterns])[0]
    low, high = pattern.get("flaps", [0, 0])
    repeats = rng.randint(low, high)
    payloads = []
    delay = 0.0
    for _ in range(repeats + 1):
        alarm: dict[str, Any] = {
            "event_id": occasion.event_id(),
            "type": pattern["type"],
            "detail": pattern["detail"],
        }
        if "value" in pattern:
            alarm["value"] = round(rng.uniform(*pattern["value"]), 2)
        payloads.append(Sent(delay, alarm))
        delay += FLAP_SECONDS * rng.uniform(0.5, 1.5)
    return Episode(payloads)


def _is_water_level(device: FleetDevice) -> bool:
    return device.kind is DeviceKind.WATER_LEVEL_SENSOR


def _hourly(_rng: random.Random, _rates: Rates, _device: FleetDevice, _fleet: int) -> float:
    return READINGS_HOUR * 60.0


def _water_levels(occasion: Occasion) -> Episode:
    """An hour of readings, one a minute: the sensor's own level, a daily tide, a little
    noise, and now and then a surge well over the threshold for a quarter of an hour."""
    rng, at = occasion.rng, occasion.at
    # Each sensor's usual level is its own, and the same every hour.
    usual = random.Random(occasion.device.code).uniform(0.6, 1.0)
    surge = _surge(rng) if rng.random() < occasion.rates.surge_chance else None
    parts = []
    for minute in range(READINGS_HOUR):
        when = at + timedelta(minutes=minute)
        hours = when.hour + when.minute / 60.0
        level = usual + 0.25 * math.sin(2 * math.pi * (hours - 6.0) / 24.0) + rng.gauss(0, 0.02)
        if surge is not None:
            level = max(level, surge(minute))
        reading = {"measure": WATER_LEVEL, "at": when.isoformat(), "value": round(level, 3)}
        parts.append(Sent(minute * 60.0, {"readings": [reading]}))
    return Episode(parts)


def _surge(rng: random.Random) -> Callable[[int], float]:
    """The level at each minute of the hour: up in 8 minutes, held 8-15, down in 8."""
    start, hold = rng.randint(5, 25), rng.randint(8, 15)
    peak = rng.uniform(*SURGE_PEAK)

    def level(minute: int) -> float:
        rise = (minute - start) / 8.0
        fall = (start + 16 + hold - minute) / 8.0
        return peak * max(0.0, min(1.0, rise, fall))

    return level


def _has_camera(device: FleetDevice) -> bool:
    return device.camera is not None


def _car_gap(rng: random.Random, rates: Rates, _device: FleetDevice, cameras: int) -> float:
    """Each camera's share of a fleet-wide Poisson stream of cars."""
    return rng.expovariate(1.0 / (rates.car_minutes * 60.0 * cameras))


def _crowd_gap(rng: random.Random, rates: Rates, _device: FleetDevice, cameras: int) -> float:
    return rng.expovariate(1.0 / (rates.crowd_hours * 3600.0 * cameras))


def _car(occasion: Occasion) -> Episode:
    """A car stops in the camera's no-parking zone; it leaves within minutes or lingers."""
    rng = occasion.rng
    lingers = occasion.made == 0 or rng.random() < occasion.rates.linger_chance
    stay = rng.uniform(330.0, 540.0) if lingers else rng.uniform(60.0, 200.0)
    tracked = _Tracked(occasion, "car", NO_PARKING)
    parts = [tracked.event("new", 0.0), tracked.snapshot(2.0)]
    moment = FRIGATE_UPDATE_SECONDS
    while moment < stay:
        parts.append(tracked.event("update", moment))
        moment += FRIGATE_UPDATE_SECONDS
    parts.append(tracked.event("end", stay))
    return Episode(parts)


def _crowd(occasion: Occasion) -> Episode:
    """More people than the crowding rule allows gather within a minute and then disperse,
    the last to come first to go, so only the arrivals past the rule's count fire it."""
    rng = occasion.rng
    people = [_Tracked(occasion, "person", CROWD_WATCH) for _ in range(rng.randint(*CROWD_SIZE))]
    arrivals = sorted(rng.uniform(0.0, 60.0) for _ in people)
    parts = [person.event("new", arrival) for person, arrival in zip(people, arrivals, strict=True)]
    parts.append(people[0].snapshot(arrivals[0] + 2.0))
    leave = rng.uniform(240.0, 480.0)
    for person in reversed(people):
        parts.append(person.event("end", leave))
        leave += rng.uniform(5.0, 20.0)
    return Episode(parts)


@dataclass
class _Tracked:
    """One of Frigate's tracked objects: its events as Frigate writes them, and its snapshot."""

    occasion: Occasion
    label: str
    zone: str

    def __post_init__(self) -> None:
        self.start = self.occasion.at.timestamp()
        self.id = f"{self.start:.6f}-{self.occasion.rng.randrange(16**6):06x}"
        self.last: dict[str, Any] | None = None

    def event(self, kind: str, delay: float) -> Sent:
        ended = kind == "end"
        after = {
            "id": self.id,
            "camera": self.occasion.device.camera,
            "label": self.label,
            "start_time": self.start,
            "frame_time": self.start + delay,
            "end_time": self.start + delay if ended else None,
            "current_zones": [] if ended else [self.zone],
            "entered_zones": [self.zone],
            "stationary": delay >= FRIGATE_UPDATE_SECONDS,
            "false_positive": False,
            "has_snapshot": True,
        }
        payload = {"type": kind, "before": self.last or after, "after": after}
        self.last = after
        return Sent(delay, payload, EVENTS_TOPIC)

    def snapshot(self, delay: float) -> Sent:
        camera = self.occasion.device.camera
        when = self.occasion.at + timedelta(seconds=delay)
        data = snapshot_jpeg(self.occasion.rng, f"{camera} {self.label} {when:%H:%M:%S}")
        return Sent(delay, data, f"{camera}/{self.label}/snapshot")


def snapshot_jpeg(rng: random.Random, caption: str) -> bytes:
    """A small made-up frame: a street, an object's box, the camera and time written on it."""
    image = Image.new("RGB", SNAPSHOT_SIZE, (92, 98, 104))
    draw = ImageDraw.Draw(image)
    width, height = SNAPSHOT_SIZE
    draw.rectangle((0, height * 2 // 3, width, height), fill=(60, 62, 66))
    left = rng.randint(20, width - 120)
    colour = (rng.randint(40, 220), rng.randint(40, 220), rng.randint(40, 220))
    draw.rectangle(
        (left, height // 2, left + 90, height // 2 + 45), fill=colour, outline=(255, 0, 0)
    )
    draw.text((6, 6), caption, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


def _presses(device: FleetDevice) -> bool:
    return device.presses_sos


def _sos_first(rng: random.Random, rates: Rates, _device: FleetDevice, _fleet: int) -> float:
    return (rates.sos_first_minutes + rng.expovariate(1.0 / rates.sos_mean_minutes)) * 60.0


def _sos_gap(rng: random.Random, rates: Rates, _device: FleetDevice, _fleet: int) -> float:
    return (rates.sos_least_minutes + rng.expovariate(1.0 / rates.sos_mean_minutes)) * 60.0


def _sos(occasion: Occasion) -> Episode:
    press = fleet_data()["sos_press"]
    alarm = {"event_id": occasion.event_id(), "type": press["type"], "detail": press["detail"]}
    return Episode([Sent(0.0, alarm)])


KINDS: tuple[MessageKind, ...] = (
    MessageKind(HEARTBEAT, _heartbeat_gap, _heartbeat, first=_within_seconds),
    MessageKind(ALARMS, _alarm_gap, _alarm, applies=lambda d: bool(_patterns(d)), early=True),
    MessageKind(READINGS, _hourly, _water_levels, applies=_is_water_level, first=_within_seconds),
    MessageKind(ALARMS, _sos_gap, _sos, applies=_presses, first=_sos_first),
    MessageKind(FRIGATE, _car_gap, _car, applies=_has_camera),
    MessageKind(FRIGATE, _crowd_gap, _crowd, applies=_has_camera),
)


@dataclass
class FleetSchedule:
    """Which device sends what when; `due(now)` hands out the messages whose time has come."""

    devices: list[FleetDevice]
    seed: int
    start: datetime
    rates: Rates = field(default_factory=Rates)
    kinds: tuple[MessageKind, ...] = KINDS

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        # Event ids stay unique across runs: the same seed replays the same numbers.
        self.run = self.start.strftime("%Y%m%d%H%M%S")
        self.alarms_made = 0
        self.order = itertools.count()
        self.made: dict[tuple[int, int], int] = {}
        self.next_at: dict[tuple[int, int], datetime] = {}
        for k, kind in enumerate(self.kinds):
            senders = [d for d, device in enumerate(self.devices) if kind.applies(device)]
            for d in senders:
                first = max(
                    (kind.first or kind.gap)(self.rng, self.rates, self.devices[d], len(senders)),
                    1.0,
                )
                self.next_at[(d, k)] = self.start + timedelta(seconds=first)
            if kind.early and senders:
                early = senders[self.rng.randrange(len(senders))]
                soon = self.rates.first_alarm_seconds * self.rng.uniform(0.5, 1.5)
                self.next_at[(early, k)] = self.start + timedelta(seconds=soon)
        self.senders = {
            k: sum(1 for device in self.devices if kind.applies(device))
            for k, kind in enumerate(self.kinds)
        }
        self.pending: list[tuple[datetime, int, Message]] = []

    def due(self, now: datetime) -> list[Message]:
        for (d, k), planned in sorted(self.next_at.items()):
            at = planned
            while at <= now:
                self._plan(d, k, at)
                at += timedelta(seconds=self._gap(k, self.devices[d]))
            self.next_at[(d, k)] = at
        ready = []
        while self.pending and self.pending[0][0] <= now:
            ready.append(heapq.heappop(self.pending)[2])
        return ready

    def _gap(self, k: int, device: FleetDevice) -> float:
        return max(self.kinds[k].gap(self.rng, self.rates, device, self.senders[k]), 1.0)

    def _plan(self, d: int, k: int, at: datetime) -> None:
        device, kind = self.devices[d], self.kinds[k]
        made = self.made.get((d, k), 0)
        self.made[(d, k)] = made + 1
        occasion = Occasion(self.rng, self.rates, device, at, made, self._event_id)
        episode = kind.make(occasion)
        for delay, payload, topic in episode.payloads if episode else []:
            when = at + timedelta(seconds=delay)
            stamped = (
                {**payload, "occurred_at": when.isoformat()}
                if kind.channel == ALARMS and isinstance(payload, dict)
                else payload
            )
            message = Message(when, device.code, kind.channel, stamped, topic)
            heapq.heappush(self.pending, (when, next(self.order), message))

    def _event_id(self) -> str:
        self.alarms_made += 1
        return f"sim-{self.run}-{self.alarms_made}"


class FleetLink:
    """One MQTT connection per device, each logged in with the device's own code and key,
    and one as the demo's Frigate server when it has an account (else its messages are
    dropped)."""

    def __init__(
        self,
        address: BrokerAddress,
        devices: list[FleetDevice],
        root: str,
        frigate: FrigateSource | None = None,
    ) -> None:
        self.root = root
        self.frigate = frigate
        self.clients: dict[str, mqtt.Client] = {}
        self.connected: dict[str, threading.Event] = {}
        accounts = [(device.code, device.key) for device in devices]
        if frigate is not None:
            accounts.append((frigate.username, frigate.password))
        for username, password in accounts:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sim-{username}")
            client.username_pw_set(username, password)
            self.connected[username] = threading.Event()
            client.on_connect = self._on_connect
            client.reconnect_delay_set(min_delay=1, max_delay=30)
            client.connect_async(address.host, address.port, keepalive=60)
            client.loop_start()
            self.clients[username] = client

    def _on_connect(
        self, client: mqtt.Client, _data: object, _flags: object, reason: object, _p: object
    ) -> None:
        code = client.username or ""
        if getattr(reason, "is_failure", False):
            log.warning("the broker refused simulated device %s: %s", code, reason)
            return
        self.connected[code].set()

    def wait_connected(self, timeout: float) -> bool:
        """Whether every device is connected within `timeout` seconds (all at once, roughly)."""
        return all(event.wait(timeout) for event in self.connected.values())

    def send(self, messages: list[Message]) -> list[mqtt.MQTTMessageInfo]:
        """Queued by paho while a connection is (re)opening; sent with QoS 1."""
        sent = []
        for message in messages:
            if message.channel == FRIGATE:
                if self.frigate is None:
                    continue
                client = self.clients[self.frigate.username]
                topic = f"{self.frigate.prefix}/{message.topic}"
            else:
                client = self.clients[message.code]
                topic = f"{self.root}/{message.code}/{message.channel}"
            payload = message.payload
            if isinstance(payload, dict):
                payload = json.dumps(payload, ensure_ascii=False).encode()
            sent.append(client.publish(topic, payload, qos=QOS))
        return sent

    def close(self) -> None:
        for client in self.clients.values():
            client.disconnect()
            client.loop_stop()


@dataclass
class FleetSimulator:
    """The schedule against the real clock, in a daemon thread; `stop` ends it."""

    schedule: FleetSchedule
    link: FleetLink
    stop_event: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, name="civicgrid-fleet", daemon=True)

    def start(self) -> "FleetSimulator":
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self.stop_event.wait(TICK_SECONDS):
                self.link.send(self.schedule.due(utcnow()))
        finally:
            self.link.close()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def simulate(
    address: BrokerAddress,
    devices: list[FleetDevice],
    *,
    root: str,
    seed: int,
    frigate: FrigateSource | None = None,
) -> FleetSimulator:
    """The fleet publishing from now on, until stopped; as Frigate too with its account."""
    schedule = FleetSchedule(devices, seed, utcnow())
    return FleetSimulator(schedule, FleetLink(address, devices, root, frigate)).start()
