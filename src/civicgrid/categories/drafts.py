"""A category as someone wants it stored, and the one validator every write goes through.

Whether from the API, an Excel workbook or a government taxonomy, a batch of drafts is
judged against the stored taxonomy with the whole batch applied, so a batch either fits
together or is refused as a whole.
"""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.categories.models import Category
from civicgrid.categories.reference import (
    DEFAULT_HOUR_BASIS,
    DEPARTMENT_LEVELS,
    HOUR_BASES,
    SLA_STAGES,
    department_kinds,
    risk_classes,
)
from civicgrid.errors import Invalid

# A year: anything longer is a typing slip, not a time limit.
MAX_SLA_HOURS = 8760.0
MAX_CODE_LENGTH = 40
MAX_NAME_LENGTH = 120
MAX_NAME_EN_LENGTH = 160
MAX_KEYWORD_LENGTH = 40
# Stable ASCII codes that routing rules can match by prefix: UM-01, UM-01-03, GOV-12-04.
CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")


@dataclass(frozen=True)
class CategoryDraft:
    """A category as someone wants it stored, before it is judged.

    `attributes` None keeps what is stored (a workbook has no column for them).
    """

    code: str
    name: str
    parent_code: str | None = None
    name_en: str = ""
    sla_hours: Mapping[str, float] = field(default_factory=dict)
    hour_basis: str = DEFAULT_HOUR_BASIS
    default_departments: Mapping[str, str] = field(default_factory=dict)
    self_resolvable: bool = False
    risk_class: str | None = None
    keywords: Sequence[str] = ()
    attributes: Sequence[Mapping[str, Any]] | None = None
    active: bool = True
    position: int = 0

    @property
    def level(self) -> int:
        return 1 if self.parent_code is None else 2


EDITABLE_FIELDS = frozenset(name for name in CategoryDraft.__dataclass_fields__ if name != "code")


def tidy(draft: CategoryDraft) -> CategoryDraft:
    """Trim names and codes and drop blank or repeated keywords: input, not meaning."""
    parent = (draft.parent_code or "").strip() or None
    keywords = dict.fromkeys(word.strip() for word in draft.keywords if word.strip())
    return replace(
        draft,
        code=draft.code.strip(),
        parent_code=parent,
        name=draft.name.strip(),
        name_en=draft.name_en.strip(),
        risk_class=(draft.risk_class or "").strip() or None,
        keywords=tuple(keywords),
    )


def draft_of(row: Category) -> CategoryDraft:
    return CategoryDraft(
        code=row.code,
        name=row.name,
        parent_code=row.parent_code,
        name_en=row.name_en,
        sla_hours=dict(row.sla_hours),
        hour_basis=row.hour_basis,
        default_departments=dict(row.default_departments),
        self_resolvable=row.self_resolvable,
        risk_class=row.risk_class,
        keywords=tuple(row.keywords),
        attributes=list(row.attributes),
        active=row.active,
        position=row.position,
    )


@dataclass(frozen=True)
class Problem:
    """One rule a draft breaks; `path` names the draft field, e.g. "sla_hours.resolve"."""

    path: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def error(self) -> Invalid:
        return Invalid(self.code, **self.params)


@dataclass(frozen=True)
class _Node:
    parent_code: str | None
    active: bool


@dataclass(frozen=True)
class _Rules:
    """What a draft is judged against: the taxonomy before and after the batch."""

    stored: Mapping[str, _Node]
    after: Mapping[str, _Node]
    department_kinds: frozenset[str]
    risk_classes: frozenset[str]


def check_drafts(db: Session, drafts: Sequence[CategoryDraft]) -> list[tuple[int, Problem]]:
    """Every problem of a batch as (index of the draft, problem); empty means it may be stored."""
    stored = {
        code: _Node(parent, active)
        for code, parent, active in db.execute(
            select(Category.code, Category.parent_code, Category.active)
        )
    }
    rules = _Rules(
        stored=stored,
        after=stored | {d.code: _Node(d.parent_code, d.active) for d in drafts},
        department_kinds=department_kinds(db),
        risk_classes=frozenset(risk.code for risk in risk_classes()),
    )
    return [(index, p) for index, draft in enumerate(drafts) for p in _problems(draft, rules)]


def _problems(draft: CategoryDraft, rules: _Rules) -> list[Problem]:
    return [
        *_code_problems(draft),
        *_name_problems(draft),
        *_level_problems(draft, rules),
        *_sla_problems(draft),
        *_department_problems(draft, rules),
        *_risk_problems(draft, rules),
        *_keyword_problems(draft),
    ]


def _code_problems(draft: CategoryDraft) -> list[Problem]:
    code = draft.code
    if len(code) <= MAX_CODE_LENGTH and CODE_PATTERN.fullmatch(code):
        return []
    return [Problem("code", "category_code_invalid", {"code": code})]


def _name_problems(draft: CategoryDraft) -> list[Problem]:
    problems = []
    if not draft.name or len(draft.name) > MAX_NAME_LENGTH:
        problems.append(Problem("name", "category_name_invalid", {"limit": MAX_NAME_LENGTH}))
    if len(draft.name_en) > MAX_NAME_EN_LENGTH:
        problems.append(
            Problem("name_en", "category_name_en_too_long", {"limit": MAX_NAME_EN_LENGTH})
        )
    return problems


def _level_problems(draft: CategoryDraft, rules: _Rules) -> list[Problem]:
    """Two levels only, fixed once stored, and no active category under an inactive group."""
    before = rules.stored.get(draft.code)
    if before is not None and (before.parent_code is None) != (draft.parent_code is None):
        return [Problem("parent_code", "category_level_fixed", {"code": draft.code})]
    if draft.parent_code is None:
        return _group_problems(draft, rules)
    parent = rules.after.get(draft.parent_code)
    params = {"parent": draft.parent_code}
    if parent is None:
        return [Problem("parent_code", "category_parent_unknown", params)]
    if parent.parent_code is not None:
        return [Problem("parent_code", "category_parent_not_group", params)]
    if draft.active and not parent.active:
        return [Problem("active", "category_parent_inactive", params)]
    return []


def _group_problems(draft: CategoryDraft, rules: _Rules) -> list[Problem]:
    if draft.active:
        return []
    children = (node for node in rules.after.values() if node.parent_code == draft.code)
    if any(child.active for child in children):
        return [Problem("active", "category_has_active_children", {"code": draft.code})]
    return []


def _sla_problems(draft: CategoryDraft) -> list[Problem]:
    problems = []
    for stage, hours in draft.sla_hours.items():
        if stage not in SLA_STAGES:
            params: dict[str, Any] = {"stage": stage, "stages": ", ".join(SLA_STAGES)}
            problems.append(Problem("sla_hours", "category_sla_stage_unknown", params))
        elif not (math.isfinite(hours) and 0 < hours <= MAX_SLA_HOURS):
            params = {"stage": stage, "hours": hours, "limit": int(MAX_SLA_HOURS)}
            problems.append(Problem(f"sla_hours.{stage}", "category_sla_hours_invalid", params))
    if draft.hour_basis not in HOUR_BASES:
        params = {"basis": draft.hour_basis, "choices": ", ".join(HOUR_BASES)}
        problems.append(Problem("hour_basis", "category_hour_basis_unknown", params))
    return problems


def _department_problems(draft: CategoryDraft, rules: _Rules) -> list[Problem]:
    problems = []
    for level, kind in draft.default_departments.items():
        if level not in DEPARTMENT_LEVELS:
            params = {"level": level, "levels": ", ".join(DEPARTMENT_LEVELS)}
            problems.append(
                Problem("default_departments", "category_department_level_unknown", params)
            )
        elif kind not in rules.department_kinds:
            params = {"kind": kind, "kinds": ", ".join(sorted(rules.department_kinds))}
            problems.append(
                Problem(f"default_departments.{level}", "category_department_kind_unknown", params)
            )
    return problems


def _risk_problems(draft: CategoryDraft, rules: _Rules) -> list[Problem]:
    """Level-2 categories need a risk class: per-grid analysis counts every case in one."""
    if draft.risk_class is None:
        required = draft.level == 2
        return [Problem("risk_class", "category_risk_class_required")] if required else []
    if draft.risk_class not in rules.risk_classes:
        return [Problem("risk_class", "category_risk_class_unknown", {"risk": draft.risk_class})]
    return []


def _keyword_problems(draft: CategoryDraft) -> list[Problem]:
    return [
        Problem("keywords", "category_keyword_too_long", {"keyword": word, "limit": 40})
        for word in draft.keywords
        if len(word) > MAX_KEYWORD_LENGTH
    ]


def require_valid(db: Session, drafts: Sequence[CategoryDraft]) -> None:
    problems = check_drafts(db, drafts)
    if problems:
        raise problems[0][1].error()
