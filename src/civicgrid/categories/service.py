"""Changing the case taxonomy: administrators create, edit and switch off categories.

Cases are filed under level-2 categories; a level-1 group only gathers them. Every
write, here or from a workbook (excel), the built-in seed (seeds) or a government
taxonomy (government), is judged by `drafts.check_drafts` and stored by `save_drafts`.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth import service as auth_service
from civicgrid.auth.scope import Actor
from civicgrid.categories.drafts import (
    EDITABLE_FIELDS,
    CategoryDraft,
    draft_of,
    require_valid,
    tidy,
)
from civicgrid.categories.models import Category
from civicgrid.categories.reference import DEFAULT_SLA_HOURS, SLA_STAGES
from civicgrid.categories.roles import CATEGORY_KEEPERS
from civicgrid.errors import Conflict, NotFound

BUILTIN_SOURCE = "builtin"
GOVERNMENT_SOURCE = "government"
ADMIN_SOURCE = "admin"


def require_admin(actor: Actor) -> None:
    """Administrators read the whole taxonomy, inactive categories and its workbook included."""
    auth_service.require_role(actor, CATEGORY_KEEPERS)


def require_keeper(actor: Actor) -> None:
    """The taxonomy and its time limits are the whole city's: only a city administrator edits."""
    auth_service.require_role(actor, CATEGORY_KEEPERS)
    auth_service.require_city_admin(actor)


def create_category(db: Session, *, actor: Actor, draft: CategoryDraft) -> Category:
    require_keeper(actor)
    draft = tidy(draft)
    if db.get(Category, draft.code) is not None:
        raise Conflict("category_exists", code=draft.code)
    require_valid(db, [draft])
    save_edits(db, actor, [replace(draft, attributes=draft.attributes or [])])
    return _stored(db, draft.code)


def update_category(
    db: Session, *, actor: Actor, code: str, changes: Mapping[str, Any]
) -> Category:
    """Change some fields of a stored category; fields not named keep their value."""
    require_keeper(actor)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    draft = tidy(replace(draft_of(_stored(db, code)), **changes))
    require_valid(db, [draft])
    save_edits(db, actor, [draft])
    return _stored(db, code)


def deactivate_category(db: Session, *, actor: Actor, code: str) -> Category:
    """Categories are never deleted: cases keep pointing at them."""
    return update_category(db, actor=actor, code=code, changes={"active": False})


def _stored(db: Session, code: str) -> Category:
    category = db.get(Category, code)
    if category is None:
        raise NotFound("category_not_found", code=code)
    return category


def save_edits(db: Session, actor: Actor, drafts: Sequence[CategoryDraft]) -> tuple[int, int]:
    """An administrator's categories stored, each one's before and after (time limits
    included) in the change log; a row the edit leaves as it was is not logged."""
    before = {draft.code: _snapshot(db.get(Category, draft.code)) for draft in drafts}
    counts = save_drafts(db, drafts, source=ADMIN_SOURCE)
    for draft in drafts:
        after = _snapshot(db.get(Category, draft.code))
        if after == before[draft.code]:
            continue
        record_change(
            db,
            author=actor,
            kind=ChangeKind.CATEGORY,
            action="create" if before[draft.code] is None else "update",
            target=draft.code,
            before=before[draft.code],
            after=after,
        )
    return counts


def _snapshot(row: Category | None) -> dict[str, Any] | None:
    return None if row is None else asdict(draft_of(row))


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


def risk_classes_by_category(db: Session) -> dict[str, str]:
    """Each category's risk class (inactive ones too: old cases keep their category)."""
    rows = db.execute(
        select(Category.code, Category.risk_class).where(Category.risk_class.is_not(None))
    ).all()
    return {code: risk for code, risk in rows if risk}
