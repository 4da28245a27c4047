"""Alarm rules kept as data: what each alarm type turns into.

The built-in rules are the file data/alarm_rules.json; a city administrator's
change to a type is a row of `alarm_rules` (models.AlarmRuleRow) that wins over
the file. A type with no row follows the file, so a type added to the file
works at once, without a migration or a seed step.
"""

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import AlarmRuleRow
from civicgrid.alarms.roles import RULE_READERS
from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor
from civicgrid.auth.service import require_city_admin, require_role
from civicgrid.cases.models import PRIORITIES
from civicgrid.categories.taxonomy import taxonomy
from civicgrid.errors import Invalid, NotFound
from civicgrid.timeutil import utcnow

RULES_FILE = Path(__file__).parent / "data" / "alarm_rules.json"
# `route_to` naming no department but the alarm's own device's owner department.
DEVICE_OWNER = "device_owner"


@dataclass(frozen=True)
class AlarmRule:
    """One type's rule. A count of 0 switches flap suppression or storms off.

    `version` is 0 for the file's rule and counts an administrator's changes.
    """

    type: str
    name: str
    name_en: str
    category: str | None
    priority: str
    opens_case: bool
    dedupe_minutes: int
    route_to: str | None = None
    flap_count: int = 0
    flap_minutes: int = 0
    storm_count: int = 0
    storm_minutes: int = 0
    version: int = 0

    @property
    def dedupe_window(self) -> timedelta:
        return timedelta(minutes=self.dedupe_minutes)

    @property
    def flap_window(self) -> timedelta:
        return timedelta(minutes=self.flap_minutes)

    @property
    def storm_window(self) -> timedelta:
        return timedelta(minutes=self.storm_minutes)

    @property
    def suppresses_flapping(self) -> bool:
        return self.flap_count > 0 and self.flap_minutes > 0

    @property
    def gathers_storms(self) -> bool:
        return self.storm_count > 0 and self.storm_minutes > 0

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name

    def settings(self) -> dict[str, Any]:
        """What an administrator may change, as the change log and the API show it."""
        return {name: getattr(self, name) for name in SETTINGS}


SETTINGS = (
    "category",
    "priority",
    "route_to",
    "opens_case",
    "dedupe_minutes",
    "flap_count",
    "flap_minutes",
    "storm_count",
    "storm_minutes",
)


@cache
def alarm_rules() -> dict[str, AlarmRule]:
    """The built-in rule of every type; a malformed file fails on first use, not on some alarm."""
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    rules = [_rule(item) for item in data["rules"]]
    by_type = {rule.type: rule for rule in rules}
    if len(by_type) != len(rules):
        raise ValueError(f"{RULES_FILE.name} names an alarm type twice")
    return by_type


def _rule(item: dict[str, Any]) -> AlarmRule:
    rule = AlarmRule(**item)
    numbers = (rule.dedupe_minutes, rule.flap_count, rule.flap_minutes)
    if min(*numbers, rule.storm_count, rule.storm_minutes) < 0:
        raise ValueError(f"{RULES_FILE.name}: {rule.type} has a negative count or window")
    return rule


def rule_for(alarm_type: str) -> AlarmRule:
    """The built-in rule, used to tell a known type from an unknown one."""
    rule = alarm_rules().get(alarm_type)
    if rule is None:
        raise Invalid("alarm_type_unknown", type=alarm_type, types=", ".join(alarm_rules()))
    return rule


def rules_in_force(db: Session) -> dict[str, AlarmRule]:
    """Every type's rule as it stands now: the city's rows over the file, in one query."""
    rules = dict(alarm_rules())
    for row in db.scalars(select(AlarmRuleRow)):
        if row.alarm_type in rules:
            rules[row.alarm_type] = _with_row(rules[row.alarm_type], row)
    return rules


def _with_row(builtin: AlarmRule, row: AlarmRuleRow) -> AlarmRule:
    return replace(builtin, **{name: getattr(row, name) for name in SETTINGS}, version=row.version)


@dataclass(frozen=True)
class RuleChange:
    """A type's whole rule as an administrator sets it (the API checks counts are ≥ 0)."""

    category: str | None
    priority: str
    route_to: str | None
    opens_case: bool
    dedupe_minutes: int
    flap_count: int = 0
    flap_minutes: int = 0
    storm_count: int = 0
    storm_minutes: int = 0


def list_rules(db: Session, actor: Actor) -> list[AlarmRule]:
    """Every type's rule in force, in the file's order."""
    require_role(actor, RULE_READERS)
    return list(rules_in_force(db).values())


def change_rule(
    db: Session, actor: Actor, alarm_type: str, change: RuleChange, now: datetime | None = None
) -> AlarmRule:
    """Set a type's rule for the whole city; the change log keeps it before and after.

    Alarms already taken keep the outcome and rule version they were given;
    the next alarm of the type follows the new rule.
    """
    require_city_admin(actor)
    if alarm_type not in alarm_rules():
        raise NotFound("alarm_type_unknown", type=alarm_type, types=", ".join(alarm_rules()))
    _require_sound(db, change)
    before = rules_in_force(db)[alarm_type]
    row = db.get(AlarmRuleRow, alarm_type)
    if row is None:
        row = AlarmRuleRow(alarm_type=alarm_type)
        db.add(row)
    for name, value in asdict(change).items():
        setattr(row, name, value)
    row.version = before.version + 1
    row.updated_at = now or utcnow()
    db.flush()
    after = _with_row(alarm_rules()[alarm_type], row)
    record_change(
        db,
        author=actor,
        kind=ChangeKind.ALARM_RULE,
        action="update",
        target=alarm_type,
        before=before.settings() | {"version": before.version},
        after=after.settings() | {"version": after.version},
    )
    return after


def _require_sound(db: Session, change: RuleChange) -> None:
    if change.priority not in PRIORITIES:
        raise Invalid("case_priority_unknown", priority=change.priority)
    if change.category is not None:
        filing = taxonomy(db).get(change.category)
        if filing is None or filing.parent_code is None:
            raise Invalid("alarm_rule_category", code=change.category)
    if change.route_to not in (None, DEVICE_OWNER):
        found = db.scalar(select(Department.id).where(Department.code == change.route_to))
        if found is None:
            raise Invalid("alarm_rule_department", code=change.route_to)
    for count, minutes in (
        (change.flap_count, change.flap_minutes),
        (change.storm_count, change.storm_minutes),
    ):
        if (count > 0) != (minutes > 0):
            raise Invalid("alarm_rule_window_pair")
