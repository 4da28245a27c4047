"""Alarm rules kept as data (data/alarm_rules.json): what each alarm type turns into."""

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from civicgrid.errors import Invalid

RULES_FILE = Path(__file__).parent / "data" / "alarm_rules.json"


@dataclass(frozen=True)
class AlarmRule:
    type: str
    name: str
    name_en: str
    category: str | None
    priority: str
    opens_case: bool
    dedupe_minutes: int

    @property
    def dedupe_window(self) -> timedelta:
        return timedelta(minutes=self.dedupe_minutes)

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name


@cache
def alarm_rules() -> dict[str, AlarmRule]:
    """Every rule by alarm type; a malformed file fails on first use, not on some alarm later."""
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    rules = [_rule(item) for item in data["rules"]]
    by_type = {rule.type: rule for rule in rules}
    if len(by_type) != len(rules):
        raise ValueError(f"{RULES_FILE.name} names an alarm type twice")
    return by_type


def _rule(item: dict[str, Any]) -> AlarmRule:
    rule = AlarmRule(**item)
    if rule.dedupe_minutes < 0:
        raise ValueError(f"{RULES_FILE.name}: {rule.type} has a negative dedupe window")
    return rule


def rule_for(alarm_type: str) -> AlarmRule:
    rule = alarm_rules().get(alarm_type)
    if rule is None:
        raise Invalid("alarm_type_unknown", type=alarm_type, types=", ".join(alarm_rules()))
    return rule
