"""The case taxonomy: the built-in seed, government taxonomy imports, and administration.

Cases are filed under level-2 categories; a level-1 group only gathers them. Every
write, whether from the API, an Excel workbook or a government taxonomy, is judged
by one validator (`check_drafts`) against the stored taxonomy with the whole batch
applied, so a batch either fits together or is refused as a whole.
"""

import csv
import io
import itertools
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor
from civicgrid.categories.models import Category
from civicgrid.categories.roles import CATEGORY_KEEPERS
from civicgrid.db import forget, transaction_memo
from civicgrid.errors import Conflict, Invalid, NotFound

SLA_STAGES = ("accept", "dispatch", "claim", "resolve", "verify", "close")
HOUR_BASES = ("natural", "working")
DEPARTMENT_LEVELS = ("city", "district")
BUILTIN_SOURCE = "builtin"
GOVERNMENT_SOURCE = "government"
ADMIN_SOURCE = "admin"
GOVERNMENT_PREFIX = "GOV-"

# A year: anything longer is a typing slip, not a time limit.
MAX_SLA_HOURS = 8760.0
MAX_CODE_LENGTH = 40
MAX_NAME_LENGTH = 120
MAX_NAME_EN_LENGTH = 160
MAX_KEYWORD_LENGTH = 40
# Stable ASCII codes that routing rules can match by prefix: UM-01, UM-01-03, GOV-12-04.
CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")


@cache
def _data(name: str) -> dict[str, Any]:
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
    profiles = _data("categories.json")["sla_profiles"]
    return {
        name: SlaProfile(profile["hour_basis"], {s: float(h) for s, h in profile["hours"].items()})
        for name, profile in profiles.items()
    }


_DEFAULT_PROFILE = sla_profiles()[_data("categories.json")["default_profile"]]
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
    return tuple(RiskClass(**row) for row in _data("risk_classes.json")["risk_classes"])


@cache
def standard_department_kinds() -> frozenset[str]:
    """The department kinds every city has (the list the demo city is built from)."""
    text = resources.files("civicgrid.demo").joinpath("departments.json").read_text("utf-8")
    return frozenset(row["kind"] for row in json.loads(text)["departments"])


def department_kinds(db: Session) -> frozenset[str]:
    """Standard kinds plus any a deployment gave its own departments."""
    stored = db.scalars(select(Department.kind).distinct())
    return standard_department_kinds() | frozenset(stored)


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


def save_drafts(db: Session, drafts: Iterable[CategoryDraft], *, source: str) -> tuple[int, int]:
    """Insert or update already-checked drafts; returns (created, updated).

    Groups are flushed before categories: the rows of one table go out as
    updates before inserts, and a category may move to a group of the same batch.
    """
    drafts = list(drafts)
    codes = [draft.code for draft in drafts]
    stored = {row.code: row for row in db.scalars(select(Category).where(Category.code.in_(codes)))}
    for level in (1, 2):
        group_hours = _group_hours(db) if level == 2 else {}
        for draft in (d for d in drafts if d.level == level):
            row = stored.get(draft.code)
            if row is None:
                row = Category(code=draft.code, source=source, attributes=[])
                db.add(row)
            _fill(row, draft, group_hours.get(draft.parent_code or "", {}))
        db.flush()
    created = sum(code not in stored for code in codes)
    return created, len(codes) - created


def _group_hours(db: Session) -> dict[str, dict[str, float]]:
    query = select(Category.code, Category.sla_hours).where(Category.parent_code.is_(None))
    return {row.code: row.sla_hours for row in db.execute(query)}


def _fill(row: Category, draft: CategoryDraft, group_hours: Mapping[str, float]) -> None:
    row.parent_code = draft.parent_code
    row.level = draft.level
    row.name = draft.name
    row.name_en = draft.name_en
    row.sla_hours = _complete_sla(draft, group_hours)
    row.hour_basis = draft.hour_basis
    row.default_departments = dict(draft.default_departments)
    row.self_resolvable = draft.self_resolvable
    row.risk_class = draft.risk_class
    row.keywords = list(draft.keywords)
    if draft.attributes is not None:
        row.attributes = [dict(attribute) for attribute in draft.attributes]
    row.active = draft.active
    row.position = draft.position


def _complete_sla(draft: CategoryDraft, group_hours: Mapping[str, float]) -> dict[str, float]:
    """A category's stages left out take its group's limit, then the platform default.

    Stored categories then always carry every stage, so the case clock never guesses.
    """
    if draft.parent_code is None:
        return {stage: float(hours) for stage, hours in draft.sla_hours.items()}
    return {
        stage: float(draft.sla_hours.get(stage, group_hours.get(stage, DEFAULT_SLA_HOURS[stage])))
        for stage in SLA_STAGES
    }


@dataclass(frozen=True)
class Filing:
    """What intake, the classifier and the SLA clock read of a category, kept between requests."""

    code: str
    name: str
    parent_code: str | None
    active: bool
    keywords: tuple[str, ...]
    default_departments: Mapping[str, Any]
    sla_hours: Mapping[str, float]
    hour_basis: str


TAXONOMY_STAMP = "categories.taxonomy_stamp"
_taxonomies: dict[str, tuple[tuple[Any, ...], dict[str, Filing]]] = {}
_taxonomies_lock = threading.Lock()


def taxonomy(db: Session) -> dict[str, Filing]:
    """Every category by code, in display order, read again only after an edit.

    Every report consults the whole taxonomy (hundreds of rows with JSON
    columns); one aggregate query tells whether the copy in memory still holds.
    """
    stamp = transaction_memo(
        db,
        TAXONOMY_STAMP,
        lambda: tuple(db.execute(select(func.count(), func.max(Category.updated_at))).one()),
    )
    key = str(db.get_bind().engine.url)
    with _taxonomies_lock:
        cached = _taxonomies.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    filings = {c.code: _filing(c) for c in list_categories(db, active_only=False)}
    with _taxonomies_lock:
        _taxonomies[key] = (stamp, filings)
    return filings


@event.listens_for(Session, "after_flush")
def _taxonomy_edited(session: Session, _context: Any) -> None:
    """A category written in this transaction makes the remembered stamp stale."""
    changed = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(row, Category) for row in changed):
        forget(session, TAXONOMY_STAMP)


def _filing(category: Category) -> Filing:
    return Filing(
        code=category.code,
        name=category.name,
        parent_code=category.parent_code,
        active=category.active,
        keywords=tuple(str(k) for k in category.keywords or ()),
        default_departments=dict(category.default_departments or {}),
        sla_hours={stage: float(h) for stage, h in (category.sla_hours or {}).items()},
        hour_basis=category.hour_basis,
    )


def list_categories(db: Session, *, active_only: bool = True) -> list[Category]:
    """Groups first, then categories, each in their display order."""
    query = select(Category).order_by(Category.level, Category.position, Category.code)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(db.scalars(query))


def category_tree(categories: Sequence[Category]) -> list[tuple[Category, list[Category]]]:
    """(group, its categories) in display order, from a list as `list_categories` gives it."""
    children: dict[str, list[Category]] = {}
    for category in categories:
        if category.parent_code is not None:
            children.setdefault(category.parent_code, []).append(category)
    return [(c, children.get(c.code, [])) for c in categories if c.parent_code is None]


def get_category(db: Session, code: str) -> Category | None:
    return db.get(Category, code)


def require_category(db: Session, code: str) -> Category:
    """The active level-2 category a case may be filed under, checked in the cached taxonomy."""
    filing = taxonomy(db).get(code)
    if filing is None or not filing.active or filing.parent_code is None:
        raise Invalid("category_unknown", code=code)
    category = db.get(Category, code)
    if category is None:
        raise Invalid("category_unknown", code=code)
    return category


def require_admin(actor: Actor) -> None:
    """The taxonomy is the whole city's; only administrators change it."""
    auth_service.require_role(actor, CATEGORY_KEEPERS)


def create_category(db: Session, *, actor: Actor, draft: CategoryDraft) -> Category:
    require_admin(actor)
    draft = tidy(draft)
    if db.get(Category, draft.code) is not None:
        raise Conflict("category_exists", code=draft.code)
    require_valid(db, [draft])
    save_drafts(db, [replace(draft, attributes=draft.attributes or [])], source=ADMIN_SOURCE)
    return _stored(db, draft.code)


def update_category(
    db: Session, *, actor: Actor, code: str, changes: Mapping[str, Any]
) -> Category:
    """Change some fields of a stored category; fields not named keep their value."""
    require_admin(actor)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    draft = tidy(replace(draft_of(_stored(db, code)), **changes))
    require_valid(db, [draft])
    save_drafts(db, [draft], source=ADMIN_SOURCE)
    return _stored(db, code)


def deactivate_category(db: Session, *, actor: Actor, code: str) -> Category:
    """Categories are never deleted: cases keep pointing at them."""
    return update_category(db, actor=actor, code=code, changes={"active": False})


def _stored(db: Session, code: str) -> Category:
    category = db.get(Category, code)
    if category is None:
        raise NotFound("category_not_found", code=code)
    return category


def builtin_drafts() -> list[CategoryDraft]:
    """The built-in taxonomy of data/categories.json, groups before their categories."""
    drafts = []
    for group_position, group in enumerate(_data("categories.json")["groups"], start=1):
        drafts.append(_seed_draft(group, group, None, group_position))
        for position, item in enumerate(group["categories"], start=1):
            drafts.append(_seed_draft(item, group, group["code"], position))
    return drafts


def _seed_draft(
    item: Mapping[str, Any], group: Mapping[str, Any], parent: str | None, position: int
) -> CategoryDraft:
    profile = sla_profiles()[item.get("sla", group["sla"])]
    return CategoryDraft(
        code=item["code"],
        name=item["name"],
        parent_code=parent,
        name_en=item["name_en"],
        sla_hours=dict(profile.hours),
        hour_basis=profile.hour_basis,
        default_departments=_both_levels(item.get("department", group["department"])),
        self_resolvable=item.get("self_resolvable", False),
        risk_class=item.get("risk_class"),
        keywords=tuple(item.get("keywords", ())),
        attributes=[],
        position=position,
    )


def _both_levels(department: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(department, str):
        return dict.fromkeys(DEPARTMENT_LEVELS, department)
    return dict(department)


def seed_builtin(db: Session) -> int:
    """Insert the built-in categories whose codes are missing; returns how many.

    A stored row is never overwritten, edited or not: an administrator's changes
    to a built-in category survive every upgrade. A new category under a group
    the administrator switched off starts switched off too.
    """
    stored = {row.code: row.active for row in db.execute(select(Category.code, Category.active))}
    missing = [draft for draft in builtin_drafts() if draft.code not in stored]
    missing = [
        replace(draft, active=stored.get(draft.parent_code, True)) if draft.parent_code else draft
        for draft in missing
    ]
    save_drafts(db, missing, source=BUILTIN_SOURCE)
    return len(missing)


@dataclass(frozen=True)
class TaxonomyReport:
    """What a government taxonomy import added; existing categories only gain keywords."""

    groups_created: int
    categories_created: int
    keywords_added: int
    rows_skipped: int


@dataclass
class _GovernmentGroup:
    name: str
    categories: dict[str, list[str]] = field(default_factory=dict)


def import_government_taxonomy(db: Session, path: Path) -> TaxonomyReport:
    """Read a 一级分类,二级分类,三级分类 CSV into GOV- groups and categories.

    Level-3 names become their level-2 category's keywords. Importing the same
    file again changes nothing; a newer file adds the groups, categories and
    keywords that are new and never renames, moves or switches off what an
    administrator has since edited. The caller commits.
    """
    groups, skipped = _read_taxonomy(path)
    plan = _GovernmentPlan(db)
    for group in groups:
        plan.add_group(group)
    drafts = [*plan.new_groups, *plan.new_categories, *plan.grown]
    require_valid(db, drafts)
    save_drafts(db, drafts, source=GOVERNMENT_SOURCE)
    return TaxonomyReport(
        len(plan.new_groups), len(plan.new_categories), plan.keywords_added, skipped
    )


def _read_taxonomy(path: Path) -> tuple[list[_GovernmentGroup], int]:
    """Groups in file order, and the number of rows that name no importable category."""
    mapping = _data("government.json")
    columns = mapping["columns"]
    reader = csv.DictReader(io.StringIO(_decoded(path)))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [columns[key] for key in ("level1", "level2") if columns[key] not in header]
    if missing:
        raise Invalid("taxonomy_columns_missing", file=path.name, columns=", ".join(missing))
    reader.fieldnames = header
    catch_all = set(mapping["catch_all"])
    groups: dict[str, _GovernmentGroup] = {}
    skipped = 0
    for row in reader:
        level1, level2, level3 = (
            (row.get(columns[key]) or "").strip() for key in ("level1", "level2", "level3")
        )
        if not level1 or not level2 or level2 in catch_all:
            skipped += 1
            continue
        group = groups.setdefault(level1, _GovernmentGroup(level1))
        keywords = group.categories.setdefault(level2, [])
        if level3 and level3 not in catch_all and level3 not in keywords:
            keywords.append(level3)
    return list(groups.values()), skipped


def _decoded(path: Path) -> str:
    """UTF-8 (with or without BOM) as exported today, GB18030 as older office software saves."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise Invalid("taxonomy_unreadable", file=path.name, detail=error.strerror) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("taxonomy_unreadable", file=path.name, detail="encoding")


class _GovernmentPlan:
    """The drafts one import makes: new groups and categories, and stored ones grown."""

    def __init__(self, db: Session) -> None:
        self._numbers = _GovernmentNumbers(db)
        query = select(Category).where(Category.code.startswith(GOVERNMENT_PREFIX))
        self._stored = {(row.parent_code, row.name): row for row in db.scalars(query)}
        self.new_groups: list[CategoryDraft] = []
        self.new_categories: list[CategoryDraft] = []
        self.grown: list[CategoryDraft] = []
        self.keywords_added = 0

    def add_group(self, group: _GovernmentGroup) -> None:
        stored = self._stored.get((None, group.name))
        if stored is not None:
            code = stored.code
        else:
            code = self._numbers.group_code()
            draft = _government_draft(code, group.name, None, _government_defaults(group.name))
            self.new_groups.append(replace(draft, position=self._numbers.group_position()))
        for position, (name, keywords) in enumerate(group.categories.items(), start=1):
            self._add_category(group.name, code, name, keywords, position)

    def _add_category(
        self, group: str, group_code: str, name: str, keywords: Sequence[str], position: int
    ) -> None:
        stored = self._stored.get((group_code, name))
        if stored is None:
            code = self._numbers.category_code(group_code)
            settings = _government_defaults(group, name)
            draft = _government_draft(code, name, group_code, settings, keywords)
            self.new_categories.append(replace(draft, position=position))
            return
        new = [word for word in keywords if word not in stored.keywords]
        if new:
            self.grown.append(replace(draft_of(stored), keywords=(*stored.keywords, *new)))
            self.keywords_added += len(new)


class _GovernmentNumbers:
    """Hands out the next free GOV- numbers, so a re-import never reuses a code."""

    def __init__(self, db: Session) -> None:
        rows = db.execute(select(Category.code, Category.parent_code, Category.position))
        self._codes = set()
        self._last_position = 0
        for code, parent, position in rows:
            self._codes.add(code)
            if parent is None:
                self._last_position = max(self._last_position, position)

    def group_code(self) -> str:
        return self._next(GOVERNMENT_PREFIX)

    def category_code(self, group_code: str) -> str:
        return self._next(f"{group_code}-")

    def group_position(self) -> int:
        self._last_position += 1
        return self._last_position

    def _next(self, prefix: str) -> str:
        number = 1
        while f"{prefix}{number:02d}" in self._codes:
            number += 1
        code = f"{prefix}{number:02d}"
        self._codes.add(code)
        return code


def _government_defaults(group: str, category: str | None = None) -> dict[str, str]:
    mapping = _data("government.json")
    settings = dict(mapping["groups"].get(group, mapping["fallback"]))
    if category is not None:
        settings.update(mapping["categories"].get(category, {}))
    return settings


def _government_draft(
    code: str,
    name: str,
    parent: str | None,
    settings: Mapping[str, str],
    keywords: Sequence[str] = (),
) -> CategoryDraft:
    profile = sla_profiles()[settings["sla"]]
    return CategoryDraft(
        code=code,
        name=name,
        parent_code=parent,
        sla_hours=dict(profile.hours),
        hour_basis=profile.hour_basis,
        default_departments=_both_levels(settings["department"]),
        risk_class=settings["risk_class"] if parent is not None else None,
        keywords=tuple(keywords),
        attributes=[],
    )
