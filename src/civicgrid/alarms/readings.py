"""Sensor readings: from a device (MQTT or HTTP) into the Parquet store, judged by thresholds.

Readings never touch the case table. A message or request carries a batch of one
device's readings (`ReadingBatchIn`); the pipeline checks them, drops the ones it has
already stored, gathers the rest column by column, and at each flush writes them to
the store (`reading_store`), then lets the threshold rules (`thresholds`) judge them,
raising alarms through the ordinary alarm intake.

Exactly once. A reading is known by (device, measure, reading time) and each device's
readings of a measure are kept in time order: one at or before the newest stored for
its device and measure is a repeat and is dropped. Over MQTT (QoS 1) a message is
acknowledged only after the file holding its readings has been renamed into place, so
a listener killed at any moment either wrote nothing of a message (the broker sends it
again) or wrote it in its newest flush, whose readings a restarted pipeline reads back
(`recover`) before taking any message, and so recognises the redelivery as repeats.
"""

import logging
import secrets
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pyarrow as pa
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.alarms import intake, reading_store
from civicgrid.alarms.broker import READINGS
from civicgrid.alarms.intake import AlarmReport
from civicgrid.alarms.models import Device, DeviceStatus
from civicgrid.alarms.reading_schemas import MAX_PAYLOAD_BYTES, ReadingBatchIn, ReadingIn
from civicgrid.alarms.reading_store import Columns
from civicgrid.alarms.thresholds import (
    EMPTY_BOOK,
    Excursions,
    Limit,
    RuleBook,
    Trigger,
    load_rules,
    measures,
    require_measure,
)
from civicgrid.errors import DomainError, Forbidden, Invalid, TooLarge, Unauthorized
from civicgrid.geo.service import GridIndex
from civicgrid.i18n import DEFAULT_LOCALE, translate
from civicgrid.timeutil import utcnow

log = logging.getLogger(__name__)

# A reading from further back is refused: a gateway's backlog of two days still fits, and
# the retention (at least three days) never deletes the day a reading is written into.
LATE_LIMIT = timedelta(hours=48)
# A clock this far ahead is wrong; its reading would hide every true one after it.
EARLY_LIMIT = timedelta(minutes=5)
# A restarted pipeline reads back the files flushed this long before the newest one.
RECOVERY_HORIZON = timedelta(minutes=10)
RECOVERY_DAYS = 3
# The listener flushes when this many readings or messages wait, or after this long.
FLUSH_READINGS = 100_000
FLUSH_MESSAGES = 900
FLUSH_SECONDS = 1.0
DEVICE_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Sensor:
    """A device as the pipeline needs it: who it is and which district its grid is in."""

    code: str
    kind: str
    region_code: str

    @classmethod
    def of(cls, device: Device) -> "Sensor":
        return cls(code=device.code, kind=device.kind, region_code=device.region_code)


@dataclass(frozen=True)
class Accepted:
    accepted: int
    repeated: int


def parse_batch(payload: bytes | bytearray) -> ReadingBatchIn:
    """An MQTT payload as a batch; refuses what HTTP's body limit and validation refuse."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise TooLarge("reading_payload_too_large", limit=MAX_PAYLOAD_BYTES)
    return ReadingBatchIn.model_validate_json(payload)


@dataclass
class ReadingPipeline:
    """One writer's readings: what is stored per device and measure, what waits, the rules.

    Not thread-safe: the MQTT handler and the HTTP route each hold a lock around it.
    """

    root: Path
    writer: str = field(default_factory=lambda: secrets.token_hex(4))
    stored: dict[tuple[str, str], datetime] = field(default_factory=dict)
    waiting: dict[tuple[str, str], datetime] = field(default_factory=dict)
    columns: Columns = field(default_factory=Columns.empty)
    book: RuleBook = EMPTY_BOOK
    excursions: Excursions = field(default_factory=Excursions)
    last_stamp: datetime | None = None

    def accept(self, sensor: Sensor, batch: ReadingBatchIn, now: datetime) -> Accepted:
        """Check the whole batch, then queue its new readings; a bad reading refuses them all."""
        readings = sorted(batch.readings, key=lambda reading: reading.at)
        _require_plausible(readings, now)
        by_measure: dict[str, list[ReadingIn]] = {}
        for reading in readings:
            by_measure.setdefault(reading.measure, []).append(reading)
        for measure in by_measure:
            require_measure(measure)
        accepted = sum(
            self._queue(sensor, measure, taken, now) for measure, taken in by_measure.items()
        )
        return Accepted(accepted=accepted, repeated=len(readings) - accepted)

    def _queue(self, sensor: Sensor, measure: str, readings: list[ReadingIn], now: datetime) -> int:
        """One measure's readings (in time order) past the newest stored, column by column."""
        key = (sensor.code, measure)
        newest = self.waiting.get(key) or self.stored.get(key)
        if newest is not None:
            readings = readings[bisect_right(readings, newest, key=lambda r: r.at) :]
        if not readings:
            return 0
        readings = _one_per_moment(readings)
        count = len(readings)
        self.waiting[key] = readings[-1].at
        cols = self.columns
        cols.device_code.extend([sensor.code] * count)
        cols.device_kind.extend([sensor.kind] * count)
        cols.measure.extend([measure] * count)
        cols.measured_at.extend([reading.at for reading in readings])
        cols.value.extend([reading.value for reading in readings])
        cols.received_at.extend([now] * count)
        cols.region_code.extend([sensor.region_code] * count)
        return count

    def write(self, now: datetime) -> Columns:
        """The waiting readings into the store, durably; returns them for judging.

        On failure nothing counts as stored and the waiting readings are dropped: their
        senders have had no acknowledgement and send them again.
        """
        written, self.columns = self.columns, Columns.empty()
        waiting, self.waiting = self.waiting, {}
        if written:
            reading_store.write_flush(
                self.root, written.table(), flushed_at=self._stamp(now), writer=self.writer
            )
            self.stored.update(waiting)
        return written

    def _stamp(self, now: datetime) -> datetime:
        """The flush's moment, strictly later than this writer's last (file names differ)."""
        stamp = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self.last_stamp is not None and stamp <= self.last_stamp:
            stamp = self.last_stamp + timedelta(milliseconds=1)
        self.last_stamp = stamp
        return stamp

    def judge(self, db: Session, index: GridIndex, written: Columns, now: datetime) -> int:
        """Let the rules see the written readings; returns the alarms raised (each committed)."""
        self._refresh_rules(db)
        rows = zip(
            written.device_code,
            written.device_kind,
            written.measure,
            written.measured_at,
            written.value,
            strict=True,
        )
        return self._raise_all(db, index, self._triggers(rows), now)

    def _refresh_rules(self, db: Session) -> None:
        book = load_rules(db, self.book)
        if book is not self.book:
            self.book = book
            self.excursions.forget_changed(book)

    def _triggers(self, rows: Iterable[tuple[str, str, str, datetime, float]]) -> Iterator[Trigger]:
        by_measure = self.book.by_measure
        run: tuple[str, str, str] | None = None
        rules: tuple[Limit, ...] = ()
        for code, kind, measure, at, value in rows:
            if (code, kind, measure) != run:
                # A message's readings come together: the rules change only between runs.
                run = (code, kind, measure)
                rules = self.book.applying(code, kind, measure) if measure in by_measure else ()
            for rule in rules:
                trigger = self.excursions.observe(rule, code, at, value)
                if trigger is not None:
                    yield trigger

    def _raise_all(
        self, db: Session, index: GridIndex, triggers: Iterable[Trigger], now: datetime
    ) -> int:
        raised = 0
        for trigger in triggers:
            try:
                raised += _raise(db, index, trigger, now)
                db.commit()
            except DomainError as refusal:
                db.rollback()
                log.warning("threshold %s raised nothing: %s", trigger.rule.id, refusal.code)
        return raised

    def recover(self, db: Session, index: GridIndex, now: datetime) -> int:
        """After a start: what the newest files hold is stored, and the rules judge it again.

        Alarms of excursions already raised are found by their event id, not raised twice.
        """
        for leftover in reading_store.leftovers(self.root):
            leftover.unlink()
        self._refresh_rules(db)
        horizon = RECOVERY_HORIZON + self.book.longest
        files = reading_store.recent_files(self.root, horizon=horizon, days=RECOVERY_DAYS)
        table = reading_store.read_files(files)
        self.stored = _newest_by_device_and_measure(table)
        table = table.sort_by([("measured_at", "ascending")])
        rows = zip(
            *(
                table[name].to_pylist()
                for name in ("device_code", "device_kind", "measure", "measured_at", "value")
            ),
            strict=True,
        )
        return self._raise_all(db, index, self._triggers(rows), now)


def _one_per_moment(readings: list[ReadingIn]) -> list[ReadingIn]:
    """A measure has one value at a moment: a batch that repeats a time keeps its first."""
    kept = [readings[0]]
    for reading in readings[1:]:
        if reading.at != kept[-1].at:
            kept.append(reading)
    return kept


def _require_plausible(readings: list[ReadingIn], now: datetime) -> None:
    """Readings from a clock far ahead or from long ago are refused, with the batch."""
    if readings[-1].at > now + EARLY_LIMIT:
        raise Invalid("reading_in_future", at=readings[-1].at.isoformat())
    if readings[0].at < now - LATE_LIMIT:
        raise Invalid("reading_too_old", at=readings[0].at.isoformat(), hours=48)


def _newest_by_device_and_measure(table: pa.Table) -> dict[tuple[str, str], datetime]:
    if table.num_rows == 0:
        return {}
    newest = table.group_by(["device_code", "measure"]).aggregate([("measured_at", "max")])
    return {
        (code, measure): at
        for code, measure, at in zip(
            newest["device_code"].to_pylist(),
            newest["measure"].to_pylist(),
            newest["measured_at_max"].to_pylist(),
            strict=True,
        )
    }


def _raise(db: Session, index: GridIndex, trigger: Trigger, now: datetime) -> int:
    """The excursion's alarm, through alarm intake, with the rule and readings as its reason."""
    device = db.scalar(select(Device).where(Device.code == trigger.device_code))
    if device is None or device.status == DeviceStatus.DISABLED.value:
        return 0
    rule = trigger.rule
    measure = measures()[rule.measure]
    detail = translate(
        "reading.threshold_detail",
        DEFAULT_LOCALE,
        measure=measure.name,
        comparison=rule.comparison,
        limit=rule.limit,
        unit=measure.unit,
        minutes=round(rule.duration.total_seconds() / 60, 1),
        value=trigger.value,
    )
    report = AlarmReport(
        event_id=trigger.event_id,
        alarm_type=rule.alarm_type,
        occurred_at=trigger.at,
        detail=detail,
        value=trigger.value,
        attributes=trigger.attributes(),
    )
    taken = intake.take_alarm(db, index, device=device, report=report, now=now)
    return int(taken.new)


# --- HTTP: one pipeline per server process -------------------------------------------


@dataclass
class LockedPipeline:
    pipeline: ReadingPipeline
    lock: threading.Lock = field(default_factory=threading.Lock)
    recovered: bool = False

    def take(
        self, db: Session, index: GridIndex, sensor: Sensor, batch: ReadingBatchIn
    ) -> Accepted:
        """Accept, write and judge one request's readings before answering it."""
        with self.lock:
            now = utcnow()
            if not self.recovered:
                self.pipeline.recover(db, index, now)
                self.recovered = True
            accepted = self.pipeline.accept(sensor, batch, now)
            written = self.pipeline.write(now)
            self.pipeline.judge(db, index, written, now)
            return accepted


# --- MQTT: the listener's readings handler -------------------------------------------


def is_readings_topic(topic: str) -> bool:
    return topic.endswith(f"/{READINGS}")


@dataclass
class Sensors:
    """Devices by code, looked up once a minute: a reading must not cost a query."""

    sessions: sessionmaker[Session]
    known: dict[str, tuple[Sensor, float]] = field(default_factory=dict)

    def get(self, code: str) -> Sensor:
        cached = self.known.get(code)
        if cached is not None and time.monotonic() - cached[1] < DEVICE_CACHE_SECONDS:
            return cached[0]
        with self.sessions() as db:
            device = intake.device_for_code(db, code)
            sensor = Sensor.of(device)
        self.known[code] = (sensor, time.monotonic())
        return sensor


@dataclass
class ReadingHandler:
    """Readings messages of the MQTT listener: batched into flushes, acknowledged after them."""

    sessions: sessionmaker[Session]
    index: GridIndex
    client: mqtt.Client
    root: str
    pipeline: ReadingPipeline
    flush_seconds: float = FLUSH_SECONDS
    clock: Callable[[], datetime] = utcnow

    def __post_init__(self) -> None:
        self.sensors = Sensors(self.sessions)
        self.lock = threading.Lock()
        self.unacked: list[tuple[int, int]] = []
        self.oldest: float | None = None
        self.recovered = False

    def take(self, message: mqtt.MQTTMessage) -> None:
        """Queue one message's readings; a bad one is logged with its reason and acknowledged."""
        code = message.topic.removeprefix(f"{self.root}/").partition("/")[0]
        with self.lock:
            self._recover_once()
            try:
                sensor = self.sensors.get(code)
                self.pipeline.accept(sensor, parse_batch(message.payload), self.clock())
            except (Unauthorized, Forbidden, Invalid, TooLarge, ValidationError) as refusal:
                log.warning("refused readings on %s: %s", message.topic, _reason(refusal))
            self.unacked.append((message.mid, message.qos))
            self.oldest = self.oldest or time.monotonic()
            if self._full():
                self._flush()

    def flush_until(self, stop: threading.Event) -> None:
        """Flush on time until `stop`, then once more so nothing waits unacknowledged."""
        with self.lock:
            self._recover_once()
        while not stop.wait(self.flush_seconds / 4):
            with self.lock:
                if self.oldest is not None and time.monotonic() - self.oldest >= self.flush_seconds:
                    self._flush()
        with self.lock:
            self._flush()

    def _full(self) -> bool:
        return len(self.pipeline.columns) >= FLUSH_READINGS or len(self.unacked) >= FLUSH_MESSAGES

    def _recover_once(self) -> None:
        if self.recovered:
            return
        with self.sessions() as db:
            self.pipeline.recover(db, self.index, self.clock())
        self.recovered = True

    def _flush(self) -> None:
        now = self.clock()
        unacked, self.unacked, self.oldest = self.unacked, [], None
        try:
            written = self.pipeline.write(now)
        except OSError:
            # Unacknowledged, the messages come again when the session resumes.
            log.exception("readings could not be written; reconnecting for a redelivery")
            self.client.reconnect()
            return
        for mid, qos in unacked:
            self.client.ack(mid, qos)
        if not written:
            return
        try:
            with self.sessions() as db:
                self.pipeline.judge(db, self.index, written, now)
        except Exception:
            # The readings are stored; a restarted listener judges its newest files again.
            log.exception("threshold rules failed on %d stored readings", len(written))


def _reason(refusal: Exception) -> str:
    if isinstance(refusal, DomainError):
        return refusal.code
    if isinstance(refusal, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in refusal.errors())
    return type(refusal).__name__
