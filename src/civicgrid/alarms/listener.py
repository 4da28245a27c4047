"""The MQTT subscriber: alarms and heartbeats from the broker into the same intake as HTTP.

Devices publish with QoS 1 to `<root>/<device code>/alarms` (one alarm, the
JSON of `POST /api/v1/alarms`'s items) and `<root>/<device code>/heartbeat`
(any payload). The broker has already checked the device's key and its right to
that topic (see `broker`). The listener keeps a persistent session and
acknowledges a message only after its alarm is committed, so a listener that
dies mid-stream gets the unacknowledged messages again on reconnecting, and
intake's (device, event id) key stores each once. A bad message is logged and
acknowledged: one broken device must not stop the stream.

Sensor readings (`<root>/<device code>/readings`) go to their own handler
(`alarms.readings`), which acknowledges them a batch at a time, after their file.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.alarms import intake
from civicgrid.alarms.broker import ALARMS, HEARTBEAT, BrokerAddress, topic_filters
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


def handle_message(
    db: Session,
    index: GridIndex,
    *,
    root: str,
    topic: str,
    payload: bytes | bytearray,
    now: datetime | None = None,
) -> str:
    """Take one message in; returns what it was ("heartbeat", "alarm", "replay").

    Raises a DomainError or pydantic's ValidationError for a message to refuse.
    """
    now = now or utcnow()
    code, channel = _device_topic(root, topic)
    device = intake.device_for_code(db, code)
    if channel == HEARTBEAT:
        heard_from(db, device, now)
        return "heartbeat"
    report = AlarmIn.model_validate_json(payload).report()
    intake.require_known_types([report])
    taken = intake.take_alarm(db, index, device=device, report=report, now=now)
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
    # Where readings go: the archive's `readings/` folder unless a test or benchmark says.
    readings_dir: Path | None = None

    def __post_init__(self) -> None:
        self.index = GridIndex()
        self.subscribed = threading.Event()
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
        self.client.connect_async(self.address.host, self.address.port, keepalive=30)
        self.client.loop_start()
        try:
            self.readings.flush_until(stop)
        finally:
            self.client.disconnect()
            self.client.loop_stop()

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
        client.subscribe([(topic, QOS) for topic in topic_filters(self.root)])

    def _on_subscribe(self, *_args: object) -> None:
        self.subscribed.set()

    def _on_message(
        self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        if is_readings_topic(message.topic):
            self.readings.take(message)
            return
        with self.sessions() as db:
            try:
                what = handle_message(
                    db, self.index, root=self.root, topic=message.topic, payload=message.payload
                )
                db.commit()
                log.debug("%s on %s", what, message.topic)
            except (DomainError, ValidationError, ValueError, DataError) as refusal:
                # DataError: a value the database cannot hold (a NUL on PostgreSQL); it
                # would fail the same way on every redelivery.
                db.rollback()
                log.warning("refused message on %s: %s", message.topic, _reason(refusal))
            except Exception:
                # Not acknowledged: the broker delivers it again when the session resumes.
                db.rollback()
                log.exception("message on %s failed; it stays unacknowledged", message.topic)
                return
        client.ack(message.mid, message.qos)


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
    readings_dir: Path | None = None,
) -> RunningListener:
    """The listener in a daemon thread (beside the demo server, or in a test)."""
    listener = AlarmListener(sessions, address, root, client_id, readings_dir)
    stop = threading.Event()
    thread = threading.Thread(
        target=listener.run, args=(stop,), name="civicgrid-alarms", daemon=True
    )
    thread.start()
    return RunningListener(thread=thread, stop_event=stop, listener=listener)
