"""Routing (分级分类): which unit handles a case, decided by rules kept as data.

Rules are rows of `routing_rules`, tried in `position` order; the first active
rule whose matchers all fit wins. A rule names a level and, optionally, a
department kind: the case goes to that kind of department in the case's
district or city, or to the centre of that level. Every routed case keeps the
rule and a reason the dispatcher can read, stored as a catalogue key with its
parameters so it reads in the viewer's language.
"""

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.log import Author, ChangeKind, record_change
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor, may_see
from civicgrid.cases.models import CHANNELS, PRIORITIES, RoutingRule
from civicgrid.cases.roles import RULE_ROLES
from civicgrid.db import remember, transaction_memo
from civicgrid.errors import Forbidden, Invalid, NotFound
from civicgrid.geo.models import Region
from civicgrid.geo.service import latest_revision
from civicgrid.i18n import translate


class TargetLevel(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


# Codes per IN list when naming a batch's units: well inside every engine's parameter limit.
NAME_QUERY_CHUNK = 2000
PREFIX_LENGTH = {
    TargetLevel.DISTRICT: 6,
    TargetLevel.STREET: 9,
    TargetLevel.COMMUNITY: 12,
    TargetLevel.GRID: 15,
}
DEPARTMENT_LEVELS = frozenset({TargetLevel.CITY, TargetLevel.DISTRICT})
DEFAULT_RULES = Path(__file__).with_name("data") / "routing_rules.json"


@dataclass(frozen=True)
class CaseFacts:
    """What routing looks at; nothing else about a case can change where it goes."""

    category_code: str | None
    region_code: str
    channel: str
    priority: str
    category_departments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    rule_id: int | None
    handling_region_code: str
    department_id: int | None
    grid_may_handle: bool
    reason: str


@dataclass(frozen=True)
class RuleIn:
    """A rule as an administrator writes it; blank matchers match anything."""

    name: str
    target_level: str
    category_prefix: str = ""
    region_prefix: str = ""
    channel: str = ""
    priority: str = ""
    department_kind: str | None = None
    grid_may_handle: bool = False
    active: bool = True


def route(db: Session, facts: CaseFacts, rules: Sequence[RoutingRule] | None = None) -> Decision:
    """The first matching rule's target, else the category's default department, else the street.

    `rules` lets a batch load the table once.
    """
    for rule in active_rules(db) if rules is None else rules:
        if _matches(rule, facts):
            return _decide(db, rule, facts)
    return _fallback(db, facts)


def active_rules(db: Session) -> list[RoutingRule]:
    return list(
        db.scalars(
            select(RoutingRule)
            .where(RoutingRule.active.is_(True))
            .order_by(RoutingRule.position, RoutingRule.id)
        )
    )


def _matches(rule: RoutingRule, facts: CaseFacts) -> bool:
    return (
        (facts.category_code or "").startswith(rule.category_prefix)
        and (not rule.category_prefix or facts.category_code is not None)
        and facts.region_code.startswith(rule.region_prefix)
        and rule.channel in ("", facts.channel)
        and rule.priority in ("", facts.priority)
    )


def _decide(db: Session, rule: RoutingRule, facts: CaseFacts) -> Decision:
    level = TargetLevel(rule.target_level)
    unit = unit_code(facts.region_code, level)
    department = _department(db, rule.department_kind, unit) if rule.department_kind else None
    target = department.name if department else _region_name(db, unit)
    return Decision(
        rule_id=rule.id,
        handling_region_code=unit,
        department_id=department.id if department else None,
        grid_may_handle=rule.grid_may_handle,
        reason=_reason("routing.by_rule", position=rule.position, rule=rule.name, target=target),
    )


def _fallback(db: Session, facts: CaseFacts) -> Decision:
    kind = facts.category_departments.get(TargetLevel.DISTRICT.value)
    district = unit_code(facts.region_code, TargetLevel.DISTRICT)
    department = _department(db, kind, district) if kind else None
    if department is not None:
        return Decision(
            rule_id=None,
            handling_region_code=district,
            department_id=department.id,
            grid_may_handle=False,
            reason=_reason("routing.by_category_default", target=department.name),
        )
    street = unit_code(facts.region_code, TargetLevel.STREET)
    return Decision(
        rule_id=None,
        handling_region_code=street,
        department_id=None,
        grid_may_handle=False,
        reason=_reason("routing.to_street_centre", target=_region_name(db, street)),
    )


def by_department(department: Department, reason_key: str, **params: Any) -> Decision:
    """A decision another domain's rule made (an alarm type's department): that department
    handles the case, from its own region."""
    return Decision(
        rule_id=None,
        handling_region_code=department.region_code,
        department_id=department.id,
        grid_may_handle=False,
        reason=_reason(reason_key, target=department.name, **params),
    )


def _region_name(db: Session, code: str) -> str:
    return transaction_memo(
        db,
        _name_key(code),
        lambda: db.scalar(select(Region.name).where(Region.code == code)) or code,
    )


def remember_unit_names(
    db: Session, region_codes: Iterable[str], rules: Sequence[RoutingRule]
) -> None:
    """Name every unit a batch's decisions may name: at each rule's target level and at
    the street (the fallback). A decision names its unit in its reason; one look-up per
    case cost a batch of 500 reports about 130 round trips. Names are kept between
    requests until the region tree changes (a new geo revision), as the locator is."""
    levels = {TargetLevel(rule.target_level) for rule in rules} | {TargetLevel.STREET}
    units = {unit_code(code, level) for code in set(region_codes) for level in levels}
    known = _unit_names(db)
    wanted = sorted(units - known.keys())
    found: dict[str, str] = {}
    for start in range(0, len(wanted), NAME_QUERY_CHUNK):
        chunk = wanted[start : start + NAME_QUERY_CHUNK]
        rows = db.execute(select(Region.code, Region.name).where(Region.code.in_(chunk)))
        found.update(rows.all())
    with _names_lock:
        known.update({unit: found.get(unit, unit) for unit in wanted})
    for unit in units:
        remember(db, _name_key(unit), known[unit])


_names: dict[str, tuple[int, dict[str, str]]] = {}
_names_lock = threading.Lock()


def _unit_names(db: Session) -> dict[str, str]:
    """The unit names this process has read, for the region tree's current revision."""
    revision = latest_revision(db)
    key = str(db.get_bind().engine.url)
    with _names_lock:
        cached = _names.get(key)
        if cached is None or cached[0] != revision:
            cached = _names[key] = (revision, {})
    return cached[1]


def _name_key(code: str) -> tuple[str, str]:
    return ("routing.region_name", code)


def unit_code(region_code: str, level: TargetLevel) -> str:
    """The code of the unit at `level` that holds `region_code`, or the nearest above it.

    An unlocated case carries only its district or city; it stays there.
    """
    if level is TargetLevel.CITY:
        return region_code[:4] + "00"
    return region_code[: min(PREFIX_LENGTH[level], len(region_code))]


def _department(db: Session, kind: str | None, unit: str) -> Department | None:
    """The department of that kind in the unit's district, else in its city."""
    return transaction_memo(
        db, ("routing.department", kind, unit[:6]), lambda: _find_department(db, kind, unit)
    )


def _find_department(db: Session, kind: str | None, unit: str) -> Department | None:
    for region in (unit[:6], unit[:4] + "00"):
        found = db.scalar(
            select(Department).where(Department.kind == kind, Department.region_code == region)
        )
        if found is not None:
            return found
    return None


def _reason(key: str, **params: Any) -> str:
    return json.dumps({"key": key, "params": params}, ensure_ascii=False)


def explain(reason: str, locale: str) -> str:
    """A stored reason in the reader's language."""
    if not reason:
        return ""
    stored = json.loads(reason)
    return translate(stored["key"], locale, **stored["params"])


def require_author(
    db: Session, actor: Actor, rule: RuleIn | None, *, rule_id: int | None = None
) -> None:
    """Who may write a rule: an administrator, confined to their own area below city scope.

    A city administrator writes any rule. An administrator of a district, street
    or grid writes only rules whose `region_prefix` lies inside their area, and
    changes or removes only such rules: a rule of theirs can then route no case
    of another district, however high it stands in the table.
    """
    auth_service.require_role(actor, RULE_ROLES)
    if auth_service.is_city_admin(actor):
        return
    prefixes = [] if rule is None else [rule.region_prefix]
    if rule_id is not None:
        prefixes.append(_rule(db, rule_id).region_prefix)
    for prefix in prefixes:
        if not prefix or not may_see(actor, prefix):
            raise Forbidden("routing_rule_outside_scope", prefix=prefix)


def create_rule(db: Session, rule: RuleIn, *, position: int | None = None) -> RoutingRule:
    """Add a rule at `position` (default: last); the rules from there move down one place."""
    _require_valid(db, rule)
    row = RoutingRule(position=0, **rule.__dict__)
    db.add(row)
    _place(db, row, position)
    return row


def update_rule(
    db: Session, rule_id: int, rule: RuleIn, *, position: int | None = None
) -> RoutingRule:
    row = _rule(db, rule_id)
    _require_valid(db, rule)
    for name, value in rule.__dict__.items():
        setattr(row, name, value)
    _place(db, row, position)
    return row


def delete_rule(db: Session, rule_id: int) -> None:
    """Cases routed by it keep their stored reason; only the link to the row goes."""
    db.delete(_rule(db, rule_id))
    db.flush()
    _place(db, None, None)


def add_rule(
    db: Session, author: Author, rule: RuleIn, *, position: int | None = None
) -> RoutingRule:
    """An administrator's new rule, written to the change log with the row."""
    row = create_rule(db, rule, position=position)
    require_no_shadowing(db)
    _log(db, author, "create", row, before=None)
    return row


def change_rule(
    db: Session, author: Author, rule_id: int, rule: RuleIn, *, position: int | None = None
) -> RoutingRule:
    before = _snapshot(_rule(db, rule_id))
    row = update_rule(db, rule_id, rule, position=position)
    require_no_shadowing(db)
    _log(db, author, "update", row, before=before)
    return row


def remove_rule(db: Session, author: Author, rule_id: int) -> None:
    row = _rule(db, rule_id)
    before = _snapshot(row)
    delete_rule(db, rule_id)
    record_change(
        db,
        author=author,
        kind=ChangeKind.ROUTING_RULE,
        action="delete",
        target=str(rule_id),
        region_code=before["region_prefix"] or None,
        before=before,
    )


def _log(
    db: Session, author: Author, action: str, row: RoutingRule, before: dict[str, Any] | None
) -> None:
    """A rule belongs to the area it matches; a rule for anywhere to its author's scope."""
    record_change(
        db,
        author=author,
        kind=ChangeKind.ROUTING_RULE,
        action=action,
        target=str(row.id),
        region_code=row.region_prefix or None,
        before=before,
        after=_snapshot(row),
    )


def _snapshot(row: RoutingRule) -> dict[str, Any]:
    return {name: getattr(row, name) for name in (*RuleIn.__dataclass_fields__, "position")}


def _rule(db: Session, rule_id: int) -> RoutingRule:
    row = db.get(RoutingRule, rule_id)
    if row is None:
        raise NotFound("routing_rule_not_found", rule_id=rule_id)
    return row


def _place(db: Session, row: RoutingRule | None, position: int | None) -> None:
    """Renumber the table 1..n with `row` at `position` (kept where it was when None)."""
    others = [rule for rule in active_and_inactive(db) if rule is not row]
    if row is not None:
        at = len(others) + 1 if position is None and row.position == 0 else position or row.position
        others.insert(max(0, min(at - 1, len(others))), row)
    for number, rule in enumerate(others, start=1):
        rule.position = number
    db.flush()


def active_and_inactive(db: Session) -> list[RoutingRule]:
    return list(db.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def matches_everything(rule: RoutingRule) -> bool:
    """Every condition 任意: the rule takes every case that reaches it."""
    return not (rule.category_prefix or rule.region_prefix or rule.channel or rule.priority)


def require_no_shadowing(db: Session) -> None:
    """Refuse a table where an active catch-all rule stands above other active rules.

    First match wins, so every rule after it would silently never match again; an
    administrator who wants a catch-all puts it last (the caller's transaction is not
    committed, so the table stays as it was).
    """
    active = active_rules(db)
    for index, rule in enumerate(active[:-1]):
        if matches_everything(rule):
            raise Invalid(
                "routing_rule_shadows",
                rule=rule.name,
                position=rule.position,
                count=len(active) - index - 1,
            )


def _require_valid(db: Session, rule: RuleIn) -> None:
    if not rule.name.strip():
        raise Invalid("routing_rule_name_required")
    if rule.target_level not in TargetLevel.__members__.values():
        raise Invalid("routing_rule_level_unknown", level=rule.target_level)
    if rule.department_kind and TargetLevel(rule.target_level) not in DEPARTMENT_LEVELS:
        raise Invalid("routing_rule_department_level", level=rule.target_level)
    if rule.channel not in ("", *CHANNELS):
        raise Invalid("routing_rule_channel_unknown", channel=rule.channel)
    if rule.priority not in ("", *PRIORITIES):
        raise Invalid("routing_rule_priority_unknown", priority=rule.priority)
    if rule.region_prefix and not rule.region_prefix.isdigit():
        raise Invalid("routing_rule_region_prefix", prefix=rule.region_prefix)
    if rule.department_kind and not _kind_exists(db, rule.department_kind):
        raise Invalid("routing_rule_department_unknown", kind=rule.department_kind)


def _kind_exists(db: Session, kind: str) -> bool:
    return db.scalar(select(Department.id).where(Department.kind == kind).limit(1)) is not None


def seed_default_rules(db: Session) -> int:
    """Give an empty routing table the starting rules; a table with rows is left alone.

    Rules naming a department kind the deployment has no department of are skipped,
    so a city without, say, a fire brigade row still gets the rest.
    """
    if db.scalar(select(RoutingRule.id).limit(1)) is not None:
        return 0
    added = 0
    for entry in json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))["rules"]:
        rule = RuleIn(**entry)
        if rule.department_kind and not _kind_exists(db, rule.department_kind):
            continue
        create_rule(db, rule)
        added += 1
    return added
