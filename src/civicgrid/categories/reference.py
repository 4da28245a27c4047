"""The taxonomy's reference data: SLA stages and profiles, risk classes, department kinds."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Department

SLA_STAGES = ("accept", "dispatch", "claim", "resolve", "verify", "close")
HOUR_BASES = ("natural", "working")
DEPARTMENT_LEVELS = ("city", "district")


@cache
def packaged_data(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class SlaProfile:
    """A named set of stage limits, so the seed data says "urgent" instead of six numbers."""

    hour_basis: str
    hours: Mapping[str, float]


@cache
def sla_profiles() -> dict[str, SlaProfile]:
    profiles = packaged_data("categories.json")["sla_profiles"]
    return {
        name: SlaProfile(profile["hour_basis"], {s: float(h) for s, h in profile["hours"].items()})
        for name, profile in profiles.items()
    }


_DEFAULT_PROFILE = sla_profiles()[packaged_data("categories.json")["default_profile"]]
DEFAULT_SLA_HOURS: dict[str, float] = dict(_DEFAULT_PROFILE.hours)
"""Stage limits for a case without a category (and for stages a category leaves out)."""
DEFAULT_HOUR_BASIS: str = _DEFAULT_PROFILE.hour_basis


@dataclass(frozen=True)
class RiskClass:
    code: str
    name: str
    name_en: str
    description: str


@cache
def risk_classes() -> tuple[RiskClass, ...]:
    """The 29 classes per-grid risk analysis aggregates cases into."""
    return tuple(RiskClass(**row) for row in packaged_data("risk_classes.json")["risk_classes"])


@cache
def standard_department_kinds() -> frozenset[str]:
    """The department kinds every city has (the list the demo city is built from)."""
    text = resources.files("civicgrid.demo").joinpath("departments.json").read_text("utf-8")
    return frozenset(row["kind"] for row in json.loads(text)["departments"])


def department_kinds(db: Session) -> frozenset[str]:
    """Standard kinds plus any a deployment gave its own departments."""
    stored = db.scalars(select(Department.kind).distinct())
    return standard_department_kinds() | frozenset(stored)


def both_levels(department: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(department, str):
        return dict.fromkeys(DEPARTMENT_LEVELS, department)
    return dict(department)
