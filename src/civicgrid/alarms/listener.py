"""The MQTT subscriber: alarms and heartbeats from the broker into the same intake as HTTP.

Devices publish with QoS 1 to `<root>/<device code>/alarms` (one alarm, the
JSON of `POST /api/v1/alarms`'s items) and `<root>/<device code>/heartbeat`
(any payload). The broker has already checked the device's key and its right to
that topic (see `broker`). The listener keeps a persistent session and
acknowledges a message only after its alarm is committed, so a listener that
dies mid-stream gets the unacknowledged messages again on reconnecting, and
intake's (device, event id) key stores each once. A bad message is logged,
kept as a dead letter (`deadletters`) and acknowledged: one broken device must
not stop the stream. Frigate's messages under its own prefix go to `frigate`.

Messages are taken in batches: paho's thread queues them, the listener's own
thread takes whatever has queued (up to `BATCH_LIMIT`) in one transaction
(`intake.AlarmBatch`), commits, and only then acknowledges each. One commit per
message held the listener to about 70 alarms a second; a batch is one commit.

Sensor readings (`<root>/<device code>/readings`) go to their own handler
(`alarms.readings`), which acknowledges them a batch at a time, after their file,
on a thread of their own.
"""

import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.alarms import deadletters, intake
from civicgrid.alarms.broker import ALARMS, HEARTBEAT, BrokerAddress, topic_filters
from civicgrid.alarms.frigate import DEFAULT_PREFIX, FrigateState
from civicgrid.alarms.messages import parse_json
from civicgrid.alarms.models import Device
from civicgrid.alarms.reading_store import readings_root
from civicgrid.alarms.readings import ReadingHandler, ReadingPipeline, is_readings_topic
from civicgrid.alarms.schemas import AlarmIn
from civicgrid.alarms.service import heard_from
from civicgrid.errors import DomainError
from civicgrid.geo.service import GridIndex
from civicgrid.settings import get_settings
from civicgrid.timeutil import utcnow

log = logging.getLogger(__name__)
CLIENT_ID = "civicgrid-alarms"
QOS = 1
BATCH_LIMIT = 1000


def handle_message(
    db: Session,
    index: GridIndex,
    *,
    root: str,
    topic: str,
    payload: bytes | bytearray,
    now: datetime | None = None,
    frigate: FrigateState | None = None,
) -> str:
    """Take one message in; returns what it was ("heartbeat", "alarm", "replay", Frigate's kinds).

    Raises a DomainError or pydantic's ValidationError for a message to refuse.
    """
    now = now or utcnow()
    if frigate is not None and frigate.owns(topic):
        return frigate.take(db, index, topic=topic, payload=payload, now=now)
    code, channel = _device_topic(root, topic)
    device = intake.device_for_code(db, code)
    if channel == HEARTBEAT:
        heard_from(db, device, now)
        return "heartbeat"
    report = parse_json(payload, AlarmIn).report()
    intake.require_known_types([report])
    taken = intake.take_alarm(db, index, device=device, report=report, now=now)
    return "alarm" if taken.new else "replay"


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes | bytearray


@dataclass(frozen=True)
class _Parsed:
    """A device's message past its checks: the device, and its alarm (None for a heartbeat)."""

    device: Device
    report: intake.AlarmReport | None


@dataclass(frozen=True)
class Refused:
    """A message that failed its checks: acknowledged, and kept as a dead letter."""

    refusal: Exception

    def __str__(self) -> str:
        return f"refused: {_reason(self.refusal)}"


Outcome = str | Refused


def handle_batch(
    db: Session,
    index: GridIndex,
    *,
    root: str,
    messages: Sequence[Message],
    now: datetime | None = None,
    frigate: FrigateState | None = None,
) -> list[Outcome]:
    """Take messages in one transaction; for each, what it was or why it was refused.

    A refused message (bad JSON, unknown type or device) refuses only itself; a
    failure of the database raises, and the caller takes the messages one by one.
    Frigate's messages keep their order among themselves: a scene is judged on
    the events before it.
    """
    batch = intake.AlarmBatch(db, index, now=now)
    devices: dict[str, Device] = {}
    parsed = [_parse(db, devices, root, message, frigate) for message in messages]
    alarms_of: dict[int, list[str]] = defaultdict(list)
    for item in parsed:
        if isinstance(item, _Parsed) and item.report is not None:
            alarms_of[item.device.id].append(item.report.event_id)
    for device in devices.values():
        if device.id in alarms_of:
            batch.prefetch(device, alarms_of[device.id])
    results = [_take(db, batch, item, frigate) for item in parsed]
    batch.finish()
    return results


def _parse(
    db: Session,
    devices: dict[str, Device],
    root: str,
    message: Message,
    frigate: FrigateState | None,
) -> _Parsed | Message | Refused:
    if frigate is not None and frigate.owns(message.topic):
        return message
    try:
        code, channel = _device_topic(root, message.topic)
        if code not in devices:
            devices[code] = intake.device_for_code(db, code)
        report = None
        if channel == ALARMS:
            report = parse_json(message.payload, AlarmIn).report()
            intake.require_known_types([report])
        return _Parsed(devices[code], report)
    except (DomainError, ValidationError, ValueError) as refusal:
        return Refused(refusal)


def _take(
    db: Session,
    batch: intake.AlarmBatch,
    item: _Parsed | Message | Refused,
    frigate: FrigateState | None,
) -> Outcome:
    if isinstance(item, Refused):
        return item
    if isinstance(item, Message):
        assert frigate is not None  # only parsed as a Message when Frigate owns the topic
        try:
            return frigate.take(
                db, batch.index, topic=item.topic, payload=item.payload, now=batch.now
            )
        except (DomainError, ValidationError, ValueError) as refusal:
            return Refused(refusal)
    if item.report is None:
        heard_from(db, item.device, batch.now)
        return "heartbeat"
    taken = batch.take(item.device, item.report)
    return "alarm" if taken.new else "replay"


def _device_topic(root: str, topic: str) -> tuple[str, str]:
    """`<root>/<code>/<channel>` → (code, channel); the subscription admits nothing else."""
    code, _, channel = topic.removeprefix(f"{root}/").partition("/")
    if channel not in {ALARMS, HEARTBEAT}:
        raise ValueError(f"not a device topic: {topic}")
    return code, channel


@dataclass
class AlarmListener:
    """One MQTT client in a thread of paho's; `run` until `stop` is set."""

    sessions: sessionmaker[Session]
    address: BrokerAddress
    root: str
    client_id: str = CLIENT_ID
    frigate_prefix: str = DEFAULT_PREFIX
    # Where readings go: the archive's `readings/` folder unless a test or benchmark says.
    readings_dir: Path | None = None

    def __post_init__(self) -> None:
        self.index = GridIndex()
        self.frigate = FrigateState(prefix=self.frigate_prefix)
        self.subscribed = threading.Event()
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,
            manual_ack=True,
        )
        self.client.username_pw_set(self.address.username, self.address.password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        folder = self.readings_dir or readings_root(get_settings().effective_archive_dir)
        self.readings = ReadingHandler(
            self.sessions, self.index, self.client, self.root, ReadingPipeline(folder)
        )

    def run(self, stop: threading.Event) -> None:
        """Take batches until `stop`; what is queued but not taken stays unacknowledged."""
        self.client.connect_async(self.address.host, self.address.port, keepalive=30)
        self.client.loop_start()
        try:
            flusher = threading.Thread(
                target=self.readings.flush_until, args=(stop,), name="readings", daemon=True
            )
            flusher.start()
            while not stop.is_set():
                messages = self._next_batch()
                if messages:
                    self._take_batch(messages)
            flusher.join()
        finally:
            self.client.disconnect()
            self.client.loop_stop()

    def _next_batch(self) -> list[mqtt.MQTTMessage]:
        """What has queued, up to BATCH_LIMIT; waits a moment for the first."""
        try:
            messages = [self.inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        while len(messages) < BATCH_LIMIT:
            try:
                messages.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        return messages

    def _take_batch(self, messages: list[mqtt.MQTTMessage]) -> None:
        """One transaction for the batch, then each message acknowledged."""
        with self.sessions() as db:
            try:
                results = handle_batch(
                    db,
                    self.index,
                    root=self.root,
                    messages=[Message(message.topic, message.payload) for message in messages],
                    frigate=self.frigate,
                )
                db.commit()
            except Exception as failure:
                db.rollback()
                log.warning(
                    "a batch of %d failed (%s); taking its messages one at a time",
                    len(messages),
                    type(failure).__name__,
                )
                for message in messages:
                    self._take_one(message)
                return
        for message, result in zip(messages, results, strict=True):
            if isinstance(result, Refused):
                log.warning("refused message on %s: %s", message.topic, result)
                self._dead_letter(message, result.refusal)
            self.client.ack(message.mid, message.qos)

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        _flags: object,
        reason: object,
        _properties: object,
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.error(
                "MQTT broker %s:%s refused the listener: %s",
                self.address.host,
                self.address.port,
                reason,
            )
            return
        # Subscribing again on every connect is harmless and covers a broker that lost the session.
        topics = topic_filters(self.root) + self.frigate.topic_filters()
        client.subscribe([(topic, QOS) for topic in topics])

    def _on_subscribe(self, *_args: object) -> None:
        self.subscribed.set()

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        if is_readings_topic(message.topic):
            self.readings.take(message)
            return
        # paho's network thread only queues; the listener's thread takes the batches.
        self.inbox.put(message)

    def _take_one(self, message: mqtt.MQTTMessage) -> None:
        """A message alone, after its batch failed: bad input is refused, the rest stored."""
        with self.sessions() as db:
            try:
                what = handle_message(
                    db,
                    self.index,
                    root=self.root,
                    topic=message.topic,
                    payload=message.payload,
                    frigate=self.frigate,
                )
                db.commit()
                log.debug("%s on %s", what, message.topic)
            except (DomainError, ValidationError, ValueError, DataError) as refusal:
                # DataError: a value the database cannot hold (a NUL on PostgreSQL); it
                # would fail the same way on every redelivery.
                db.rollback()
                log.warning("refused message on %s: %s", message.topic, _reason(refusal))
                self._dead_letter(message, refusal)
            except Exception:
                # Not acknowledged: the broker delivers it again when the session resumes.
                db.rollback()
                log.exception("message on %s failed; it stays unacknowledged", message.topic)
                return
        self.client.ack(message.mid, message.qos)

    def _dead_letter(self, message: mqtt.MQTTMessage, refusal: Exception) -> None:
        """Keep the refused message for the administrators; failing that, only the log has it."""
        with self.sessions() as db:
            try:
                region = deadletters.named_region(
                    db,
                    topic=message.topic,
                    payload=message.payload,
                    root=self.root,
                    frigate_prefix=self.frigate_prefix,
                )
                deadletters.record(
                    db,
                    topic=message.topic,
                    payload=message.payload,
                    refusal=refusal,
                    region_code=region,
                    now=utcnow(),
                )
                db.commit()
            except Exception:
                db.rollback()
                log.exception("dead letter of %s not kept", message.topic)


def _reason(refusal: Exception) -> str:
    """What was wrong, without echoing the payload (it may hold what intake would drop)."""
    if isinstance(refusal, DomainError):
        return refusal.code
    if isinstance(refusal, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in refusal.errors())
    return type(refusal).__name__


@dataclass(frozen=True)
class RunningListener:
    thread: threading.Thread
    stop_event: threading.Event
    listener: AlarmListener

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def start_listener(
    sessions: sessionmaker[Session],
    *,
    address: BrokerAddress,
    root: str,
    client_id: str = CLIENT_ID,
    frigate_prefix: str = DEFAULT_PREFIX,
    readings_dir: Path | None = None,
) -> RunningListener:
    """The listener in a daemon thread (beside the demo server, or in a test)."""
    listener = AlarmListener(sessions, address, root, client_id, frigate_prefix, readings_dir)
    stop = threading.Event()
    thread = threading.Thread(
        target=listener.run, args=(stop,), name="civicgrid-alarms", daemon=True
    )
    thread.start()
    return RunningListener(thread=thread, stop_event=stop, listener=listener)
