"""Importing a government taxonomy (一级分类,二级分类,三级分类 CSV) as GOV- groups
and categories."""

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.categories.drafts import CategoryDraft, draft_of, require_valid
from civicgrid.categories.models import Category
from civicgrid.categories.reference import both_levels, packaged_data, sla_profiles
from civicgrid.categories.service import GOVERNMENT_SOURCE, save_drafts
from civicgrid.errors import Invalid

GOVERNMENT_PREFIX = "GOV-"


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
    mapping = packaged_data("government.json")
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
    mapping = packaged_data("government.json")
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
        default_departments=both_levels(settings["department"]),
        risk_class=settings["risk_class"] if parent is not None else None,
        keywords=tuple(keywords),
        attributes=[],
    )
