"""Sensor thresholds as data: the city administrators' rules, and excursions over them.

A rule says "this measure of a device (or of every device of a kind) beyond a limit for
a duration raises this alarm type". Readings are judged as they arrive (see
`alarms.readings`); an excursion is the run of readings beyond the limit, and it raises
one alarm, when it has lasted the duration, whatever number of readings it holds. A
reading back inside the limit ends it. The alarm's event id is the rule and the
excursion's first reading time, so an excursion judged again after a restart (from the
readings the store still holds) finds its alarm already stored.
"""

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.models import Device, ThresholdRule
from civicgrid.alarms.rules import rule_for
from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.scope import Actor
from civicgrid.auth.service import require_city_admin
from civicgrid.errors import Invalid, NotFound
from civicgrid.timeutil import as_utc, utcnow

MEASURES_FILE = Path(__file__).parent / "data" / "measures.json"
COMPARISONS = (">", ">=", "<", "<=")
MAX_DURATION_SECONDS = 24 * 3600
# An excursion's alarm keeps its first reading and this many of its latest as the reason.
REASON_READINGS = 20


@dataclass(frozen=True)
class Measure:
    measure: str
    unit: str
    name: str
    name_en: str


@cache
def measures() -> dict[str, Measure]:
    """Every measure sensors may report, by id; a malformed file fails on first use."""
    data = json.loads(MEASURES_FILE.read_text(encoding="utf-8"))
    return {item["measure"]: Measure(**item) for item in data["measures"]}


def require_measure(measure: str) -> Measure:
    found = measures().get(measure)
    if found is None:
        raise Invalid("reading_measure_unknown", measure=measure, measures=", ".join(measures()))
    return found


@dataclass(frozen=True)
class ThresholdInput:
    """A rule as an administrator writes it: a device kind or one device's code, not both."""

    measure: str
    comparison: str
    limit: float
    duration_seconds: int
    alarm_type: str
    device_kind: str | None = None
    device_code: str | None = None
    enabled: bool = True


def list_thresholds(db: Session, actor: Actor) -> list[ThresholdRule]:
    require_city_admin(actor)
    return list(db.scalars(select(ThresholdRule).order_by(ThresholdRule.id)))


def create_threshold(db: Session, actor: Actor, data: ThresholdInput) -> ThresholdRule:
    """A new rule; it takes effect at the readings pipeline's next flush."""
    require_city_admin(actor)
    _require_valid(db, data)
    rule = ThresholdRule(**_fields(data), created_at=utcnow(), updated_at=utcnow())
    db.add(rule)
    db.flush()
    _log(db, actor, "create", rule.id, before=None, after=snapshot(rule))
    return rule


def update_threshold(
    db: Session, actor: Actor, rule_id: int, data: ThresholdInput
) -> ThresholdRule:
    """The rule replaced whole; excursions under its old form start again."""
    require_city_admin(actor)
    rule = _rule(db, rule_id)
    _require_valid(db, data)
    before = snapshot(rule)
    for name, value in _fields(data).items():
        setattr(rule, name, value)
    rule.updated_at = utcnow()
    db.flush()
    _log(db, actor, "update", rule.id, before=before, after=snapshot(rule))
    return rule


def delete_threshold(db: Session, actor: Actor, rule_id: int) -> None:
    """The rule goes; the alarms it raised keep its copy in their reason."""
    require_city_admin(actor)
    rule = _rule(db, rule_id)
    before = snapshot(rule)
    db.delete(rule)
    db.flush()
    _log(db, actor, "delete", rule_id, before=before, after=None)


def _rule(db: Session, rule_id: int) -> ThresholdRule:
    rule = db.get(ThresholdRule, rule_id)
    if rule is None:
        raise NotFound("threshold_not_found", id=rule_id)
    return rule


def _require_valid(db: Session, data: ThresholdInput) -> None:
    if (data.device_kind is None) == (data.device_code is None):
        raise Invalid("threshold_target_required")
    if data.device_kind is not None and data.device_kind not in set(DeviceKind):
        raise Invalid("threshold_kind_unknown", kind=data.device_kind)
    if data.device_code is not None:
        known = db.scalar(select(Device.id).where(Device.code == data.device_code))
        if known is None:
            raise Invalid("threshold_device_unknown", code=data.device_code)
    require_measure(data.measure)
    if data.comparison not in COMPARISONS:
        raise Invalid("threshold_comparison_unknown", comparison=data.comparison)
    if not 0 <= data.duration_seconds <= MAX_DURATION_SECONDS:
        raise Invalid("threshold_duration_range", max_hours=MAX_DURATION_SECONDS // 3600)
    rule_for(data.alarm_type)


def _fields(data: ThresholdInput) -> dict[str, Any]:
    return {
        "device_kind": data.device_kind,
        "device_code": data.device_code,
        "measure": data.measure,
        "comparison": data.comparison,
        "limit": data.limit,
        "duration_seconds": data.duration_seconds,
        "alarm_type": data.alarm_type,
        "enabled": data.enabled,
    }


def snapshot(rule: ThresholdRule) -> dict[str, Any]:
    """The rule as the change log and an alarm's reason keep it."""
    return {"id": rule.id, **{name: getattr(rule, name) for name in _RULE_FIELDS}}


_RULE_FIELDS = (
    "device_kind",
    "device_code",
    "measure",
    "comparison",
    "limit",
    "duration_seconds",
    "alarm_type",
    "enabled",
)


def _log(
    db: Session,
    actor: Actor,
    action: str,
    rule_id: int,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    record_change(
        db,
        author=actor,
        kind=ChangeKind.THRESHOLD_RULE,
        action=action,
        target=f"threshold:{rule_id}",
        before=before,
        after=after,
    )


# --- judging readings -----------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """A rule as the pipeline holds it in memory."""

    id: int
    measure: str
    comparison: str
    limit: float
    duration: timedelta
    alarm_type: str
    device_kind: str | None
    device_code: str | None
    updated_at: datetime

    def breached(self, value: float) -> bool:
        if self.comparison == ">":
            return value > self.limit
        if self.comparison == ">=":
            return value >= self.limit
        if self.comparison == "<":
            return value < self.limit
        return value <= self.limit

    def reason(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "measure": self.measure,
            "comparison": self.comparison,
            "limit": self.limit,
            "duration_seconds": int(self.duration.total_seconds()),
            "device_kind": self.device_kind,
            "device_code": self.device_code,
        }


def _limit(rule: ThresholdRule) -> Limit:
    return Limit(
        id=rule.id,
        measure=rule.measure,
        comparison=rule.comparison,
        limit=rule.limit,
        duration=timedelta(seconds=rule.duration_seconds),
        alarm_type=rule.alarm_type,
        device_kind=rule.device_kind,
        device_code=rule.device_code,
        updated_at=as_utc(rule.updated_at),
    )


@dataclass(frozen=True)
class RuleBook:
    """The enabled rules by measure, with the version they were read at."""

    by_measure: Mapping[str, tuple[Limit, ...]]
    version: tuple[int, int, str]
    # Looked up for every reading: worked out once per (device, kind, measure).
    _applying: dict[tuple[str, str, str], tuple[Limit, ...]] = field(
        default_factory=dict, compare=False
    )

    def applying(self, device_code: str, device_kind: str, measure: str) -> tuple[Limit, ...]:
        key = (device_code, device_kind, measure)
        found = self._applying.get(key)
        if found is None:
            found = self._applying[key] = tuple(
                rule
                for rule in self.by_measure.get(measure, ())
                if rule.device_code == device_code or rule.device_kind == device_kind
            )
        return found

    @property
    def longest(self) -> timedelta:
        durations = [rule.duration for rules in self.by_measure.values() for rule in rules]
        return max(durations, default=timedelta(0))


EMPTY_BOOK = RuleBook(by_measure={}, version=(-1, -1, ""))


def rules_version(db: Session) -> tuple[int, int, str]:
    """Changes whenever a rule is added, changed or removed: one small query per flush."""
    count, highest, latest = db.execute(
        select(
            func.count(ThresholdRule.id),
            func.max(ThresholdRule.id),
            func.max(ThresholdRule.updated_at),
        )
    ).one()
    return int(count), int(highest or 0), str(latest)


def load_rules(db: Session, book: RuleBook) -> RuleBook:
    """The stored rules, read again only when they changed since `book`."""
    version = rules_version(db)
    if version == book.version:
        return book
    grouped: dict[str, list[Limit]] = {}
    for rule in db.scalars(select(ThresholdRule).where(ThresholdRule.enabled.is_(True))):
        grouped.setdefault(rule.measure, []).append(_limit(rule))
    return RuleBook({measure: tuple(rules) for measure, rules in grouped.items()}, version)


@dataclass(frozen=True)
class Trigger:
    """An excursion that has lasted its rule's duration: what the alarm is raised from."""

    rule: Limit
    device_code: str
    started: datetime
    at: datetime
    value: float
    readings: list[tuple[datetime, float]]
    count: int

    @property
    def event_id(self) -> str:
        return f"threshold-{self.rule.id}-{int(self.started.timestamp() * 1000)}"

    def attributes(self) -> dict[str, Any]:
        return {
            "threshold_rule": self.rule.reason(),
            "excursion_started_at": self.started.isoformat(),
            "excursion_readings": self.count,
            "readings": [{"at": at.isoformat(), "value": value} for at, value in self.readings],
        }


@dataclass
class _Excursion:
    started: datetime
    rule_updated: datetime
    first: tuple[datetime, float]
    latest: deque[tuple[datetime, float]] = field(
        default_factory=lambda: deque(maxlen=REASON_READINGS)
    )
    count: int = 0
    raised: bool = False


@dataclass
class Excursions:
    """Each (rule, device)'s excursion in progress, in memory."""

    open: dict[tuple[int, str], _Excursion] = field(default_factory=dict)

    def observe(self, rule: Limit, device_code: str, at: datetime, value: float) -> Trigger | None:
        """Judge one reading (in time order per device); a Trigger once per excursion."""
        key = (rule.id, device_code)
        if not rule.breached(value):
            self.open.pop(key, None)
            return None
        excursion = self.open.get(key)
        if excursion is None:
            excursion = self.open[key] = _Excursion(
                started=at, rule_updated=rule.updated_at, first=(at, value)
            )
        else:
            excursion.latest.append((at, value))
        excursion.count += 1
        if excursion.raised or at - excursion.started < rule.duration:
            return None
        excursion.raised = True
        return Trigger(
            rule=rule,
            device_code=device_code,
            started=excursion.started,
            at=at,
            value=value,
            readings=[excursion.first, *excursion.latest],
            count=excursion.count,
        )

    def forget_changed(self, book: RuleBook) -> None:
        """Excursions of rules removed or changed end: the new form judges afresh."""
        current = {rule.id: rule.updated_at for rules in book.by_measure.values() for rule in rules}
        self.open = {
            key: excursion
            for key, excursion in self.open.items()
            if current.get(key[0]) == excursion.rule_updated
        }
