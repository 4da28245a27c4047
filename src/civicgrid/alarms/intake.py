"""Alarm intake: a device proves itself, its alarm is stored once and the rules act on it.

HTTP and MQTT both end here. An alarm is stored once per (device, event id):
a device that sends again after a lost reply gets the first answer back. What
the rules make of it is stored on the alarm (`outcome`, `case_number` and the
rule's `reason`), so every case from a device says which alarms it came from
and why; `alarm_cases` counts the alarms each such case has gathered.

A batch of alarms (`AlarmBatch`, the MQTT listener's unit of work) reads the
rules once and each device's windows once, then keeps them in memory: a storm
of ten thousand alarms costs a few queries, not ten thousand window look-ups.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.alarms.device_keys import hash_key, key_matches
from civicgrid.alarms.identity import scrub
from civicgrid.alarms.models import Alarm, AlarmCase, AlarmOutcome, Device, DeviceStatus
from civicgrid.alarms.on_duty import call_on_duty
from civicgrid.alarms.rules import DEVICE_OWNER, AlarmRule, rule_for, rules_in_force
from civicgrid.alarms.service import heard_from
from civicgrid.alarms.sos import SOS_TYPE, press_from_device
from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor
from civicgrid.cases import routing
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.in_force import require_in_force
from civicgrid.errors import BatchInvalid, DomainError, Forbidden, Invalid, Unauthorized
from civicgrid.geo.service import GridIndex
from civicgrid.i18n import DEFAULT_LOCALE, translate
from civicgrid.masking import mask_personal_data
from civicgrid.timeutil import utcnow

CHANNEL = "device"
# Compared against when the code names no device, so a wrong code costs what a wrong key does.
_NO_DEVICE_HASH = hash_key("no device has this key")


@dataclass(frozen=True)
class AlarmReport:
    """One alarm as a device reports it, whichever way it arrived."""

    event_id: str
    alarm_type: str
    occurred_at: datetime | None = None
    detail: str = ""
    value: float | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    # "off": the device says the condition is over; it opens nothing and counts towards
    # flapping (a condition that keeps going on and off).
    state: str = "on"


@dataclass(frozen=True)
class Taken:
    """The stored alarm, and whether this report stored it (False: a replay of an earlier one)."""

    alarm: Alarm
    new: bool


def authenticate_device(db: Session, *, code: str, key: str) -> Device:
    """The device whose code and key these are; a disabled device is refused."""
    device = db.scalar(select(Device).where(Device.code == code.strip()))
    matches = key_matches(device.key_hash if device else _NO_DEVICE_HASH, key)
    if device is None or not matches:
        raise Unauthorized("invalid_device_key")
    return require_enabled(device)


def device_for_code(db: Session, code: str) -> Device:
    """The device behind a broker-authenticated topic (the broker checked its key)."""
    device = db.scalar(select(Device).where(Device.code == code))
    if device is None:
        raise Unauthorized("invalid_device_key")
    return require_enabled(device)


def require_enabled(device: Device) -> Device:
    if device.status == DeviceStatus.DISABLED.value:
        raise Forbidden("device_disabled", code=device.code)
    return device


def require_known_types(reports: Sequence[AlarmReport]) -> None:
    """Every alarm of a batch has a rule, or none is stored."""
    problems: list[tuple[int, DomainError]] = []
    for position, report in enumerate(reports):
        try:
            rule_for(report.alarm_type)
        except DomainError as problem:
            problems.append((position, problem))
    if len(reports) == 1 and problems:
        raise problems[0][1]
    if problems:
        raise BatchInvalid(problems)


def take_alarm(
    db: Session,
    index: GridIndex,
    *,
    device: Device,
    report: AlarmReport,
    now: datetime | None = None,
) -> Taken:
    """Store the alarm once and let its rule act: open a case, join one, or only record it.

    Opening a case goes through case intake, which commits (see
    `cases.service.report_cases`); the alarm row itself is left to the caller's commit.
    """
    batch = AlarmBatch(db, index, now=now, guarded=True)
    taken = batch.take(device, report)
    batch.finish()
    return taken


@dataclass(frozen=True)
class _Verdict:
    """What a rule made of an alarm, and the reason stored with it."""

    outcome: AlarmOutcome
    case_number: str | None = None
    reason: dict[str, Any] = field(default_factory=dict)


def _inside(moment: datetime | None, now: datetime, window: timedelta) -> bool:
    return moment is not None and now - moment <= window


@dataclass
class _DeviceTrack:
    """One device's alarms of one type, as the windows of its rule see them."""

    case_number: str | None
    case_at: datetime | None
    cleared: list[datetime]
    recent: int


@dataclass
class _GridTrack:
    """One grid's alarms of one type inside the storm window, and its latest alarm case."""

    recent: int
    case_number: str | None
    case_at: datetime | None


class AlarmBatch:
    """Alarms taken in one transaction: rules, windows and replays looked up once each.

    `guarded` stores each alarm in a savepoint, for a caller that takes one alarm
    and may race another writer of the same event id (HTTP retries); the
    listener's batches are unguarded and fall back to one at a time on a conflict.
    Opening a case commits (case intake must, see `cases.service.report_cases`);
    the batch commits its own alarms and counts first, so nothing already taken
    is lost if case intake has to roll back and try again.
    """

    def __init__(
        self, db: Session, index: GridIndex, *, now: datetime | None = None, guarded: bool = False
    ) -> None:
        self.db = db
        self.index = index
        self.now = now or utcnow()
        self.guarded = guarded
        self.rules = rules_in_force(db)
        self._devices: dict[tuple[int, str], _DeviceTrack] = {}
        self._grids: dict[tuple[str, str], _GridTrack] = {}
        self._stored: dict[tuple[int, str], Alarm] = {}
        self._absent: set[tuple[int, str]] = set()
        self._heard: set[int] = set()
        self._counts: Counter[str] = Counter()

    def prefetch(self, device: Device, event_ids: Sequence[str]) -> None:
        """Earlier alarms of these event ids, in one query, so replays cost nothing each."""
        self._absent.update((device.id, event_id) for event_id in event_ids)
        for start in range(0, len(event_ids), 500):
            chunk = event_ids[start : start + 500]
            for alarm in self.db.scalars(
                select(Alarm).where(Alarm.device_id == device.id, Alarm.event_id.in_(chunk))
            ):
                self._absent.discard((device.id, alarm.event_id))
                self._stored[(device.id, alarm.event_id)] = alarm

    def take(self, device: Device, report: AlarmReport, *, from_device: bool = True) -> Taken:
        """One alarm; `from_device=False` for what the platform reports about a device
        (an outage), which must not count as the device being heard from."""
        if from_device and device.id not in self._heard:
            heard_from(self.db, device, self.now)
            self._heard.add(device.id)
        earlier = self._earlier(device, report.event_id)
        if earlier is not None:
            return Taken(earlier, new=False)
        rule = self.rules.get(report.alarm_type) or rule_for(report.alarm_type)
        alarm = self._alarm(device, rule, report, self._apply(device, rule, report))
        if not self.guarded:
            self.db.add(alarm)
            self._absent.discard((device.id, report.event_id))
            self._stored[(device.id, report.event_id)] = alarm
            return self._stored_new(device, alarm)
        try:
            with self.db.begin_nested():
                self.db.add(alarm)
        except IntegrityError:
            # The same event arrived twice at once (two HTTP retries, HTTP and MQTT): the
            # first stored it, and both get its row.
            stored = _stored(self.db, device, report.event_id)
            if stored is None:
                raise
            return Taken(stored, new=False)
        return self._stored_new(device, alarm)

    def _stored_new(self, device: Device, alarm: Alarm) -> Taken:
        """A key place's SOS button that opened or joined a case starts (or joins) its call."""
        if alarm.alarm_type == SOS_TYPE and alarm.case_number is not None:
            press_from_device(
                self.db,
                device,
                event_id=alarm.event_id,
                case_number=alarm.case_number,
                now=self.now,
            )
        return Taken(alarm, new=True)

    def finish(self) -> None:
        """Add the batch's alarms to their cases' counts; the caller commits."""
        for case_number, gathered in self._counts.items():
            self.db.execute(
                update(AlarmCase)
                .where(AlarmCase.case_number == case_number)
                .values(
                    alarm_count=AlarmCase.alarm_count + gathered,
                    last_alarm_at=self.now,
                )
                .execution_options(synchronize_session=False)
            )
        self._counts.clear()
        self.db.flush()

    def _earlier(self, device: Device, event_id: str) -> Alarm | None:
        key = (device.id, event_id)
        if key in self._absent:
            return None
        return self._stored.get(key) or _stored(self.db, device, event_id)

    def _alarm(
        self, device: Device, rule: AlarmRule, report: AlarmReport, verdict: _Verdict
    ) -> Alarm:
        return Alarm(
            device_id=device.id,
            event_id=report.event_id,
            alarm_type=rule.type,
            region_code=device.region_code,
            occurred_at=report.occurred_at or self.now,
            received_at=self.now,
            detail=mask_personal_data(report.detail.strip()),
            value=report.value,
            attributes=scrub(dict(report.attributes)),
            outcome=verdict.outcome.value,
            case_number=verdict.case_number,
            reason={"rule_version": rule.version, **verdict.reason},
        )

    def _apply(self, device: Device, rule: AlarmRule, report: AlarmReport) -> _Verdict:
        """The rule's verdict, in order: cleared, recorded, flapping, then a case."""
        track = self._device_track(device, rule)
        if report.state == "off":
            track.cleared.append(self.now)
            return _Verdict(AlarmOutcome.CLEARED)
        track.recent += 1
        grid = self._grid_track(device, rule)
        grid.recent += 1
        if not rule.opens_case:
            return _Verdict(AlarmOutcome.RECORDED, reason={"opens_case": False})
        flapping = self._flapping(track, rule)
        if flapping is not None:
            return _Verdict(AlarmOutcome.FLAPPING, reason=flapping)
        return self._case_for(device, rule, report, track, grid)

    def _case_for(
        self,
        device: Device,
        rule: AlarmRule,
        report: AlarmReport,
        track: _DeviceTrack,
        grid: _GridTrack,
    ) -> _Verdict:
        """Join the device's case inside the dedupe window, or a storm's, or open one."""
        if _inside(track.case_at, self.now, rule.dedupe_window) and rule.dedupe_minutes:
            reason = {"dedupe_minutes": rule.dedupe_minutes}
            return self._join(track, grid, AlarmOutcome.JOINED_CASE, track.case_number, reason)
        storm = self._storm(track, grid, rule)
        if storm is not None and _inside(grid.case_at, self.now, rule.storm_window):
            return self._join(track, grid, AlarmOutcome.STORM, grid.case_number, storm)
        key = _case_key(device, rule, report.event_id, self.now, storm=storm is not None)
        number = self._open(device, rule, key, track, grid)
        if storm is not None:
            return _Verdict(AlarmOutcome.STORM, number, storm)
        return _Verdict(AlarmOutcome.OPENED_CASE, number)

    def _join(
        self,
        track: _DeviceTrack,
        grid: _GridTrack,
        outcome: AlarmOutcome,
        case_number: str | None,
        reason: dict[str, Any],
    ) -> _Verdict:
        assert case_number is not None
        self._counts[case_number] += 1
        track.case_number, track.case_at = case_number, self.now
        grid.case_number, grid.case_at = case_number, self.now
        return _Verdict(outcome, case_number, reason)

    def _flapping(self, track: _DeviceTrack, rule: AlarmRule) -> dict[str, Any] | None:
        """The device cleared this alarm `flap_count` times inside the window: it flaps."""
        if not rule.suppresses_flapping:
            return None
        since = self.now - rule.flap_window
        cleared = sum(1 for moment in track.cleared if moment >= since)
        if cleared < rule.flap_count:
            return None
        return {
            "flap_count": rule.flap_count,
            "flap_minutes": rule.flap_minutes,
            "cleared_in_window": cleared,
        }

    def _storm(
        self, track: _DeviceTrack, grid: _GridTrack, rule: AlarmRule
    ) -> dict[str, Any] | None:
        """`storm_count` alarms of the type from the device, or from its grid, in the window."""
        if not rule.gathers_storms:
            return None
        scope, seen = ("device", track.recent)
        if grid.recent > track.recent:
            scope, seen = "grid", grid.recent
        if seen < rule.storm_count:
            return None
        return {
            "storm_count": rule.storm_count,
            "storm_minutes": rule.storm_minutes,
            "scope": scope,
            "alarms_in_window": seen,
        }

    def _open(
        self, device: Device, rule: AlarmRule, key: str, track: _DeviceTrack, grid: _GridTrack
    ) -> str:
        """A case through case intake, routed as the rule says, with its count starting at 1."""
        self.finish()
        self.db.commit()
        number, created = _open_case(self.db, self.index, device, rule, key=key, now=self.now)
        if created:
            _route(self.db, number, device, rule)
            call_on_duty(self.db, number, device, rule, self.now)
        link = self.db.get(AlarmCase, number)
        if link is None:
            self.db.add(
                AlarmCase(
                    case_number=number,
                    alarm_type=rule.type,
                    device_id=device.id,
                    region_code=device.region_code,
                    alarm_count=1,
                    first_alarm_at=self.now,
                    last_alarm_at=self.now,
                )
            )
        else:
            # The same window's case, opened by another alarm (or before a crash).
            self._counts[number] += 1
        track.case_number, track.case_at = number, self.now
        grid.case_number, grid.case_at = number, self.now
        return number

    def _device_track(self, device: Device, rule: AlarmRule) -> _DeviceTrack:
        key = (device.id, rule.type)
        if key not in self._devices:
            self._devices[key] = self._load_device_track(device, rule)
        return self._devices[key]

    def _load_device_track(self, device: Device, rule: AlarmRule) -> _DeviceTrack:
        mine = (Alarm.device_id == device.id, Alarm.alarm_type == rule.type)
        last = self.db.execute(
            select(Alarm.case_number, Alarm.received_at)
            .where(*mine, Alarm.case_number.is_not(None))
            .order_by(Alarm.received_at.desc(), Alarm.id.desc())
            .limit(1)
        ).first()
        cleared: list[datetime] = []
        if rule.suppresses_flapping:
            cleared = list(
                self.db.scalars(
                    select(Alarm.received_at).where(
                        *mine,
                        Alarm.outcome == AlarmOutcome.CLEARED.value,
                        Alarm.received_at >= self.now - rule.flap_window,
                    )
                )
            )
        recent = 0
        if rule.gathers_storms:
            recent = self._recent(rule, Alarm.device_id == device.id)
        return _DeviceTrack(
            case_number=last[0] if last else None,
            case_at=last[1] if last else None,
            cleared=cleared,
            recent=recent,
        )

    def _grid_track(self, device: Device, rule: AlarmRule) -> _GridTrack:
        key = (device.region_code, rule.type)
        if key not in self._grids:
            self._grids[key] = self._load_grid_track(device.region_code, rule)
        return self._grids[key]

    def _load_grid_track(self, grid: str, rule: AlarmRule) -> _GridTrack:
        if not rule.gathers_storms:
            return _GridTrack(recent=0, case_number=None, case_at=None)
        latest = self.db.execute(
            select(AlarmCase.case_number, AlarmCase.last_alarm_at)
            .where(AlarmCase.alarm_type == rule.type, AlarmCase.region_code == grid)
            .order_by(AlarmCase.last_alarm_at.desc())
            .limit(1)
        ).first()
        return _GridTrack(
            recent=self._recent(rule, Alarm.region_code == grid),
            case_number=latest[0] if latest else None,
            case_at=latest[1] if latest else None,
        )

    def _recent(self, rule: AlarmRule, where: Any) -> int:
        """Alarms of the type inside the storm window (cleared ones are not alarms)."""
        return (
            self.db.scalar(
                select(func.count())
                .select_from(Alarm)
                .where(
                    where,
                    Alarm.alarm_type == rule.type,
                    Alarm.outcome != AlarmOutcome.CLEARED.value,
                    Alarm.received_at >= self.now - rule.storm_window,
                )
            )
            or 0
        )


def _stored(db: Session, device: Device, event_id: str) -> Alarm | None:
    return db.scalar(select(Alarm).where(Alarm.device_id == device.id, Alarm.event_id == event_id))


def _open_case(
    db: Session, index: GridIndex, device: Device, rule: AlarmRule, *, key: str, now: datetime
) -> tuple[str, bool]:
    description = translate(
        "alarm.case_description",
        DEFAULT_LOCALE,
        alarm=rule.label(DEFAULT_LOCALE),
        device=device.name,
        code=device.code,
    )
    intake = Intake(
        description=description,
        channel=CHANNEL,
        lng=device.lng,
        lat=device.lat,
        address=device.address or None,
        category_code=_filed_category(db, rule.category),
        priority=rule.priority,
    )
    case, created = report_case(
        db,
        index,
        intake=intake,
        actor=Actor(kind="device", role=None, scope_code=device.region_code),
        idempotency_key=key,
        now=now,
    )
    return case.number, created


def _route(db: Session, number: str, device: Device, rule: AlarmRule) -> None:
    """The rule's department takes the case: a named one, or the device's owner department.

    With no department (none named, or the device has no owner) the city's routing
    rules keep the decision case intake made.
    """
    if rule.route_to is None:
        return
    if rule.route_to == DEVICE_OWNER:
        department = db.get(Department, device.department_id) if device.department_id else None
    else:
        department = db.scalar(select(Department).where(Department.code == rule.route_to))
    if department is None:
        return
    case = db.scalar(select(Case).where(Case.number == number))
    assert case is not None
    decision = routing.by_department(department, "routing.by_alarm_rule", alarm=rule.name)
    case.routing_rule_id = decision.rule_id
    case.routing_reason = decision.reason
    case.routed_department_id = decision.department_id
    case.handling_region_code = decision.handling_region_code
    case.grid_may_handle = decision.grid_may_handle
    db.flush()


def _filed_category(db: Session, code: str | None) -> str | None:
    """The rule's category if this city files cases under it now (active, level 2, of the
    taxonomy in force); else the classifier suggests one: a device cannot choose again."""
    if code is None:
        return None
    try:
        return require_in_force(db, code).code
    except Invalid:
        return None


def _case_key(device: Device, rule: AlarmRule, event_id: str, now: datetime, *, storm: bool) -> str:
    """One case per device, type and window-long slice of time; a storm's per grid.

    The windows are read from committed alarms; two alarms of one device
    arriving at the same moment in two processes both miss each other there,
    but share this key, so case intake gives both the one case.
    """
    if storm:
        slice_number = int(now.timestamp() // rule.storm_window.total_seconds())
        return f"alarm:{device.region_code}:{rule.type}:storm:{slice_number}"
    if rule.dedupe_minutes == 0:
        return f"alarm:{device.code}:event:{event_id}"
    slice_number = int(now.timestamp() // rule.dedupe_window.total_seconds())
    return f"alarm:{device.code}:{rule.type}:{slice_number}"


def report_outages(
    db: Session, index: GridIndex, devices: Sequence[Device], *, silence: timedelta, now: datetime
) -> list[Taken]:
    """A `device_offline` alarm for each device just marked offline: the maintenance case.

    The event id is the last heartbeat's time, so one outage makes one alarm and one
    case however many workers see it; the reason names the silence it broke.
    """
    batch = AlarmBatch(db, index, now=now, guarded=True)
    taken = []
    for device in devices:
        heard = device.last_heartbeat_at
        report = AlarmReport(
            event_id=f"offline-{int(heard.timestamp()) if heard else 0}",
            alarm_type=OFFLINE_TYPE,
            occurred_at=now,
            attributes={
                "last_heartbeat_at": heard.isoformat() if heard else None,
                "silence_minutes": int(silence.total_seconds() // 60),
            },
        )
        taken.append(batch.take(device, report, from_device=False))
    batch.finish()
    return taken


OFFLINE_TYPE = "device_offline"
