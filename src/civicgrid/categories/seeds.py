"""The built-in taxonomy (data/categories.json), stored where its codes are missing."""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.categories.drafts import CategoryDraft
from civicgrid.categories.models import Category
from civicgrid.categories.reference import both_levels, packaged_data, sla_profiles
from civicgrid.categories.service import BUILTIN_SOURCE, save_drafts


def builtin_drafts() -> list[CategoryDraft]:
    """The built-in taxonomy of data/categories.json, groups before their categories."""
    drafts = []
    for group_position, group in enumerate(packaged_data("categories.json")["groups"], start=1):
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
        default_departments=both_levels(item.get("department", group["department"])),
        self_resolvable=item.get("self_resolvable", False),
        risk_class=item.get("risk_class"),
        keywords=tuple(item.get("keywords", ())),
        attributes=[],
        position=position,
    )


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
