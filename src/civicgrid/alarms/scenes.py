"""Scene rules over camera object events: which objects, where, how long, how many, when.

A rule names a camera (or covers every camera of an area), a zone of that
camera as Frigate names it, the object labels it watches (none: any object),
the minimum time an object stays in the zone, the minimum number of such
objects there at once, and an optional local time-of-day window (22:00–06:00
crosses midnight). A scene that meets all of them becomes an alarm of the
rule's type through the ordinary intake, with the rule named in its detail and
attributes, once per tracked object and rule.

The tracker remembers, between Frigate's messages, which objects are in which
zones since when. Dwell is measured from the first message that showed the
object in the zone (from the object's start when that was its first message)
to the latest one, and judged whenever Frigate reports the object, its final
`end` message included.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from civicgrid.alarms.intake import AlarmReport
from civicgrid.alarms.models import Device, SceneRule
from civicgrid.alarms.roles import DEVICE_KEEPERS
from civicgrid.alarms.rules import rule_for
from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import require_role
from civicgrid.divisions import contains
from civicgrid.errors import Forbidden, Invalid, NotFound
from civicgrid.i18n import DEFAULT_LOCALE, translate
from civicgrid.timeutil import DISPLAY_ZONE

if TYPE_CHECKING:
    from civicgrid.alarms.frigate import FrigateEvent

EXAMPLES_FILE = Path(__file__).parent / "data" / "scene_rules.json"
# Objects whose `end` never came (a restarted Frigate) are forgotten beyond this many.
TRACKED_CAPACITY = 10_000


@dataclass(frozen=True)
class SceneRuleInput:
    """A whole rule as a keeper writes it; `camera` or else `region_code` says where it applies."""

    name: str
    zone: str
    alarm_type: str
    camera: str | None = None
    region_code: str | None = None
    labels: tuple[str, ...] = ()
    min_dwell_seconds: int = 0
    min_count: int = 1
    window_start_minute: int | None = None
    window_end_minute: int | None = None
    enabled: bool = True


@dataclass
class TrackedObject:
    """One of Frigate's tracked objects, as far as scene rules care."""

    id: str
    camera: str
    label: str
    zones: frozenset[str]
    zone_since: dict[str, float]
    seen_at: float
    ended: bool


@dataclass(frozen=True)
class SceneMatch:
    rule: SceneRule
    tracked: TrackedObject
    dwell_seconds: int
    count: int

    def report(self) -> AlarmReport:
        """The alarm: its event id comes from Frigate's, so a redelivered message stores once."""
        rule, tracked = self.rule, self.tracked
        return AlarmReport(
            event_id=f"frigate-{tracked.id}-r{rule.id}",
            alarm_type=rule.alarm_type,
            occurred_at=datetime.fromtimestamp(tracked.seen_at, tz=UTC),
            detail=translate(
                "alarm.scene_detail",
                DEFAULT_LOCALE,
                rule=rule.name,
                zone=rule.zone,
                label=tracked.label,
                count=self.count,
                dwell=self.dwell_seconds,
            ),
            attributes={
                "source": "frigate",
                "scene_rule": rule.name,
                "scene_rule_id": rule.id,
                "camera": tracked.camera,
                "zone": rule.zone,
                "label": tracked.label,
                "count": self.count,
                "dwell_seconds": self.dwell_seconds,
            },
        )


@dataclass
class SceneTracker:
    """Objects in zones since when, between messages; lives as long as the listener."""

    objects: dict[str, TrackedObject] = field(default_factory=dict)
    fired: set[tuple[str, int]] = field(default_factory=set)

    def observe(self, event: "FrigateEvent") -> TrackedObject:
        seen = event.after
        known = self.objects.get(seen.id)
        zones = seen.current_zones
        if not zones and event.type == "end" and event.before is not None:
            zones = event.before.current_zones
        since = {
            zone: _entered(known, zone, start=seen.start_time, now=seen.seen_at) for zone in zones
        }
        tracked = TrackedObject(
            id=seen.id,
            camera=seen.camera,
            label=seen.label,
            zones=frozenset(zones),
            zone_since=since,
            seen_at=seen.seen_at,
            ended=event.type == "end",
        )
        self.objects[seen.id] = tracked
        self._bound()
        return tracked

    def matches(self, rules: list[SceneRule], tracked: TrackedObject) -> Iterator[SceneMatch]:
        """The rules this object's report completes, each once per object."""
        for rule in rules:
            if (tracked.id, rule.id) in self.fired or not _watches(rule, tracked):
                continue
            dwell = max(0.0, tracked.seen_at - tracked.zone_since[rule.zone])
            count = self._count(rule, tracked)
            if dwell < rule.min_dwell_seconds or count < rule.min_count:
                continue
            if not in_window(rule, datetime.fromtimestamp(tracked.seen_at, tz=UTC)):
                continue
            self.fired.add((tracked.id, rule.id))
            yield SceneMatch(rule, tracked, dwell_seconds=int(dwell), count=count)

    def unfire(self, tracked: TrackedObject, rule_ids: list[int]) -> None:
        """The alarms of these matches were not stored: the rules may fire for the object again."""
        self.fired -= {(tracked.id, rule_id) for rule_id in rule_ids}

    def forget_ended(self, tracked: TrackedObject) -> None:
        if tracked.ended:
            self.objects.pop(tracked.id, None)
            self.fired = {item for item in self.fired if item[0] != tracked.id}

    def _count(self, rule: SceneRule, tracked: TrackedObject) -> int:
        """Objects of the rule's labels in its zone on this camera now, this one included."""
        return sum(
            1
            for other in self.objects.values()
            if other.camera == tracked.camera
            and (other is tracked or not other.ended)
            and _watches(rule, other)
        )

    def _bound(self) -> None:
        if len(self.objects) <= TRACKED_CAPACITY:
            return
        oldest = min(self.objects.values(), key=lambda item: item.seen_at)
        self.objects.pop(oldest.id)


def _entered(known: TrackedObject | None, zone: str, *, start: float, now: float) -> float:
    """When the object entered the zone: remembered, its start if first seen there, else now."""
    if known is None:
        return start
    return known.zone_since.get(zone, now)


def _watches(rule: SceneRule, tracked: TrackedObject) -> bool:
    return rule.zone in tracked.zones and (not rule.labels or tracked.label in rule.labels)


def in_window(rule: SceneRule, moment: datetime) -> bool:
    """Inside the rule's local time-of-day window; a start after the end crosses midnight."""
    start, end = rule.window_start_minute, rule.window_end_minute
    if start is None or end is None:
        return True
    local = moment.astimezone(DISPLAY_ZONE)
    minute = local.hour * 60 + local.minute
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end


def rules_for(db: Session, device: Device) -> list[SceneRule]:
    """The enabled rules of this camera, and of every area it lies in."""
    candidates = db.scalars(
        select(SceneRule)
        .where(
            SceneRule.enabled.is_(True),
            or_(SceneRule.camera == device.frigate_camera, SceneRule.camera.is_(None)),
        )
        .order_by(SceneRule.id)
    )
    return [
        rule
        for rule in candidates
        if rule.camera is not None or contains(rule.region_code, device.region_code)
    ]


# The keepers' verbs: list, create, replace, delete; each change goes to the change log.


def list_rules(db: Session, actor: Actor) -> list[SceneRule]:
    require_role(actor, DEVICE_KEEPERS)
    return list(
        db.scalars(
            select(SceneRule).where(in_scope(actor, SceneRule.region_code)).order_by(SceneRule.id)
        )
    )


def create_rule(db: Session, actor: Actor, data: SceneRuleInput) -> SceneRule:
    require_role(actor, DEVICE_KEEPERS)
    rule = SceneRule()
    _fill(db, actor, rule, data)
    db.add(rule)
    db.flush()
    _log(db, actor, "create", rule, before=None, after=snapshot(rule))
    return rule


def replace_rule(db: Session, actor: Actor, rule_id: int, data: SceneRuleInput) -> SceneRule:
    rule = _visible_rule(db, actor, rule_id)
    before = snapshot(rule)
    _fill(db, actor, rule, data)
    db.flush()
    _log(db, actor, "update", rule, before=before, after=snapshot(rule))
    return rule


def delete_rule(db: Session, actor: Actor, rule_id: int) -> None:
    rule = _visible_rule(db, actor, rule_id)
    _log(db, actor, "delete", rule, before=snapshot(rule), after=None)
    db.delete(rule)
    db.flush()


def seed_example_rules(db: Session, actor: Actor, *, region_code: str) -> list[SceneRule]:
    """The built-in examples (data/scene_rules.json) for an area; ones it already has stay."""
    existing = set(db.scalars(select(SceneRule.name).where(SceneRule.region_code == region_code)))
    examples = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))["rules"]
    return [
        create_rule(db, actor, _example(item, region_code))
        for item in examples
        if item["name"] not in existing
    ]


def _example(item: dict[str, Any], region_code: str) -> SceneRuleInput:
    return SceneRuleInput(
        name=item["name"],
        zone=item["zone"],
        alarm_type=item["alarm_type"],
        region_code=region_code,
        labels=tuple(item.get("labels", ())),
        min_dwell_seconds=item.get("min_dwell_seconds", 0),
        min_count=item.get("min_count", 1),
        window_start_minute=item.get("window_start_minute"),
        window_end_minute=item.get("window_end_minute"),
    )


def _visible_rule(db: Session, actor: Actor, rule_id: int) -> SceneRule:
    require_role(actor, DEVICE_KEEPERS)
    rule = db.scalar(
        select(SceneRule).where(SceneRule.id == rule_id, in_scope(actor, SceneRule.region_code))
    )
    if rule is None:
        raise NotFound("scene_rule_not_found", id=rule_id)
    return rule


def _fill(db: Session, actor: Actor, rule: SceneRule, data: SceneRuleInput) -> None:
    rule_for(data.alarm_type)  # an unknown alarm type is refused here, not at the first scene
    if (data.window_start_minute is None) != (data.window_end_minute is None):
        raise Invalid("scene_rule_window_incomplete")
    rule.name = data.name.strip()
    rule.camera = data.camera
    rule.region_code = _rule_region(db, actor, data)
    rule.zone = data.zone
    rule.labels = sorted(set(data.labels))
    rule.min_dwell_seconds = data.min_dwell_seconds
    rule.min_count = data.min_count
    rule.window_start_minute = data.window_start_minute
    rule.window_end_minute = data.window_end_minute
    rule.alarm_type = data.alarm_type
    rule.enabled = data.enabled


def _rule_region(db: Session, actor: Actor, data: SceneRuleInput) -> str:
    """A camera's rule belongs to the camera's grid; an area's rule to the area named."""
    if data.camera is not None:
        region = db.scalar(select(Device.region_code).where(Device.frigate_camera == data.camera))
        if region is None:
            raise Invalid("scene_rule_camera_unknown", camera=data.camera)
    else:
        region = data.region_code or actor.scope_code or ""
    if not region or not may_see(actor, region):
        raise Forbidden("scene_rule_outside_jurisdiction", code=region)
    return region


def snapshot(rule: SceneRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "camera": rule.camera,
        "region_code": rule.region_code,
        "zone": rule.zone,
        "labels": list(rule.labels),
        "min_dwell_seconds": rule.min_dwell_seconds,
        "min_count": rule.min_count,
        "window_start_minute": rule.window_start_minute,
        "window_end_minute": rule.window_end_minute,
        "alarm_type": rule.alarm_type,
        "enabled": rule.enabled,
    }


def _log(
    db: Session,
    actor: Actor,
    action: str,
    rule: SceneRule,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    record_change(
        db,
        author=actor,
        kind=ChangeKind.SCENE_RULE,
        action=action,
        target=f"{rule.id}:{rule.name}",
        region_code=rule.region_code,
        before=before,
        after=after,
    )
