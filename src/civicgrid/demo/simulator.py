"""The demo fleet come to life: devices that publish over MQTT as real ones would.

Each device connects to the broker with its own code and key (so the broker's
password file and ACL are exercised exactly as in production) and publishes,
with QoS 1, the kinds of message of `KINDS`: today a heartbeat about every
minute and, now and then, an alarm in the generic JSON schema on
`<root>/<code>/alarms`. Alarms are rare (the whole fleet raises one about
every `Rates.alarm_minutes`, the first within a minute or two), and some come
in bursts: a smoke sensor that flaps repeats its alarm a few times over the
next minutes, which the rules' dedupe window folds into one case.

A new kind of message (sensor readings, camera events…) is one more row in
`KINDS`: its topic's last part, how long a device waits between two, and what
it sends. `FleetSchedule` is pure and seeded: given the same devices, seed and
clock it yields the same messages, so a test can drive it with its own clock;
`FleetSimulator` runs it against the real clock in a thread.
"""

import heapq
import itertools
import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from civicgrid.alarms.broker import ALARMS, HEARTBEAT, BrokerAddress
from civicgrid.demo.fleet import FleetDevice, fleet_data
from civicgrid.timeutil import utcnow

log = logging.getLogger(__name__)
QOS = 1
TICK_SECONDS = 1.0
# A flapping sensor repeats its alarm this many seconds apart, give or take half.
FLAP_SECONDS = 40.0


@dataclass(frozen=True)
class Rates:
    """How busy the fleet is: low enough that a demo's desk is not flooded."""

    heartbeat_seconds: float = 60.0
    # The whole fleet's mean gap between two alarm episodes (a burst counts once).
    alarm_minutes: float = 3.0
    # One device raises its first alarm about this soon, so a fresh demo shows one at once.
    first_alarm_seconds: float = 60.0


@dataclass(frozen=True)
class Message:
    at: datetime
    code: str
    channel: str
    payload: dict[str, Any]


@dataclass
class Episode:
    """What one device sends on one occasion: (seconds from now, payload) pairs."""

    payloads: list[tuple[float, dict[str, Any]]]


# How long a device waits before its next message of a kind, and what it then sends.
Gap = Callable[[random.Random, Rates, FleetDevice, int], float]
Make = Callable[[random.Random, FleetDevice, Callable[[], str]], Episode | None]


@dataclass(frozen=True)
class MessageKind:
    channel: str
    gap: Gap
    make: Make


def _heartbeat_gap(rng: random.Random, rates: Rates, _device: FleetDevice, _fleet: int) -> float:
    return rates.heartbeat_seconds * rng.uniform(0.8, 1.2)


def _heartbeat(_rng: random.Random, _device: FleetDevice, _event_id: Callable[[], str]) -> Episode:
    return Episode([(0.0, {})])


def _alarm_gap(rng: random.Random, rates: Rates, device: FleetDevice, fleet: int) -> float:
    """Exponential gaps, so the fleet's alarms arrive as a Poisson stream at the chosen rate."""
    mean = rates.alarm_minutes * 60.0 * fleet / max(device.rate, 0.01)
    return rng.expovariate(1.0 / mean)


def _alarm(rng: random.Random, device: FleetDevice, event_id: Callable[[], str]) -> Episode | None:
    patterns: list[dict[str, Any]] = fleet_data()["alarms"].get(device.kind.value, [])
    if not patterns:
        return None
    pattern = rng.choices(patterns, weights=[p["weight"] for p in patterns])[0]
    low, high = pattern.get("flaps", [0, 0])
    repeats = rng.randint(low, high)
    payloads = []
    delay = 0.0
    for _ in range(repeats + 1):
        alarm: dict[str, Any] = {
            "event_id": event_id(),
            "type": pattern["type"],
            "detail": pattern["detail"],
        }
        if "value" in pattern:
            alarm["value"] = round(rng.uniform(*pattern["value"]), 2)
        payloads.append((delay, alarm))
        delay += FLAP_SECONDS * rng.uniform(0.5, 1.5)
    return Episode(payloads)


KINDS: tuple[MessageKind, ...] = (
    MessageKind(HEARTBEAT, _heartbeat_gap, _heartbeat),
    MessageKind(ALARMS, _alarm_gap, _alarm),
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
        self.next_at: dict[tuple[int, int], datetime] = {}
        for d, device in enumerate(self.devices):
            for k, kind in enumerate(self.kinds):
                # Heartbeats start within seconds, so the map turns online at once.
                first = (
                    self.rng.uniform(1.0, 10.0)
                    if kind.channel == HEARTBEAT
                    else self._gap(kind, device)
                )
                self.next_at[(d, k)] = self.start + timedelta(seconds=first)
        early = self.rng.randrange(len(self.devices)) if self.devices else None
        for k, kind in enumerate(self.kinds):
            if kind.channel == ALARMS and early is not None:
                soon = self.rates.first_alarm_seconds * self.rng.uniform(0.5, 1.5)
                self.next_at[(early, k)] = self.start + timedelta(seconds=soon)
        self.pending: list[tuple[datetime, int, Message]] = []

    def due(self, now: datetime) -> list[Message]:
        for (d, k), planned in sorted(self.next_at.items()):
            at = planned
            while at <= now:
                self._plan(self.devices[d], self.kinds[k], at)
                at += timedelta(seconds=self._gap(self.kinds[k], self.devices[d]))
            self.next_at[(d, k)] = at
        ready = []
        while self.pending and self.pending[0][0] <= now:
            ready.append(heapq.heappop(self.pending)[2])
        return ready

    def _gap(self, kind: MessageKind, device: FleetDevice) -> float:
        return max(kind.gap(self.rng, self.rates, device, len(self.devices)), 1.0)

    def _plan(self, device: FleetDevice, kind: MessageKind, at: datetime) -> None:
        episode = kind.make(self.rng, device, self._event_id)
        for delay, payload in episode.payloads if episode else []:
            when = at + timedelta(seconds=delay)
            stamped = (
                {**payload, "occurred_at": when.isoformat()} if kind.channel == ALARMS else payload
            )
            message = Message(when, device.code, kind.channel, stamped)
            heapq.heappush(self.pending, (when, next(self.order), message))

    def _event_id(self) -> str:
        self.alarms_made += 1
        return f"sim-{self.run}-{self.alarms_made}"


class FleetLink:
    """One MQTT connection per device, each logged in with the device's own code and key."""

    def __init__(self, address: BrokerAddress, devices: list[FleetDevice], root: str) -> None:
        self.root = root
        self.clients: dict[str, mqtt.Client] = {}
        self.connected: dict[str, threading.Event] = {}
        for device in devices:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sim-{device.code}")
            client.username_pw_set(device.code, device.key)
            self.connected[device.code] = threading.Event()
            client.on_connect = self._on_connect
            client.reconnect_delay_set(min_delay=1, max_delay=30)
            client.connect_async(address.host, address.port, keepalive=60)
            client.loop_start()
            self.clients[device.code] = client

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
            topic = f"{self.root}/{message.code}/{message.channel}"
            payload = json.dumps(message.payload, ensure_ascii=False)
            sent.append(self.clients[message.code].publish(topic, payload, qos=QOS))
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
    address: BrokerAddress, devices: list[FleetDevice], *, root: str, seed: int
) -> FleetSimulator:
    """The fleet publishing from now on, until stopped."""
    schedule = FleetSchedule(devices, seed, utcnow())
    return FleetSimulator(schedule, FleetLink(address, devices, root)).start()
