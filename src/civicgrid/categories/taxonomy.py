"""Reading the taxonomy: every category by code, remembered between requests until an edit."""

import itertools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from civicgrid.categories.models import Category
from civicgrid.db import forget, transaction_memo
from civicgrid.errors import Invalid


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
    # builtin, government or admin: which taxonomy the category belongs to (in_force).
    source: str = "builtin"


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
        source=category.source,
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
