"""The taxonomy in force: which categories the city files cases under and suggestion offers.

A city may run on the built-in categories, the government taxonomy it imported,
its own (created or imported by its administrators), or all of them together.
Two taxonomies in force at once split every message between near-duplicate
categories (a noise complaint is both 噪音扰民 and 环境污染), so a city that imported
the government taxonomy usually puts it alone in force. Categories outside the
choice stay stored and active (old cases point at them and keep their names) but
are never suggested, offered to file under, or accepted for a new case.
"""

from sqlalchemy.orm import Session

from civicgrid.audit.log import Author, ChangeKind, record_change
from civicgrid.auth.scope import NATIONAL_SCOPE, Actor
from civicgrid.categories.models import Category, TaxonomyInForce
from civicgrid.categories.service import (
    ADMIN_SOURCE,
    BUILTIN_SOURCE,
    GOVERNMENT_SOURCE,
    require_keeper,
)
from civicgrid.categories.taxonomy import list_categories, require_category
from civicgrid.errors import Invalid

ALL = "all"
GOVERNMENT = "government"
# Each choice and the `Category.source` values it keeps in force (None: every source).
CHOICES: dict[str, frozenset[str] | None] = {
    ALL: None,
    "builtin": frozenset({BUILTIN_SOURCE}),
    GOVERNMENT: frozenset({GOVERNMENT_SOURCE}),
    "own": frozenset({ADMIN_SOURCE}),
}
# The platform itself, when the choice follows from how the city was set up (the demo
# that imported the government taxonomy) rather than from an administrator: named
# "system" in the change log, for the whole country's scope like the command line.
PLATFORM = Actor(kind="system", role=None, scope_code=NATIONAL_SCOPE)
_ROW_ID = 1


def taxonomy_in_force(db: Session) -> str:
    """The city's choice; `all` until a city administrator has made one."""
    row = db.get(TaxonomyInForce, _ROW_ID)
    return ALL if row is None else row.choice


def sources_in_force(db: Session) -> frozenset[str] | None:
    """The category sources in force, or None when every source is."""
    return CHOICES[taxonomy_in_force(db)]


def set_taxonomy_in_force(db: Session, *, actor: Actor, choice: str) -> str:
    """Put one taxonomy in force for the whole city, logged with the choice before and after.

    A city-wide setting: only a city administrator changes it. The caller commits.
    """
    require_keeper(actor)
    return put_taxonomy_in_force(db, choice=choice, author=actor)


def put_taxonomy_in_force(db: Session, *, choice: str, author: Author = PLATFORM) -> str:
    """Store the choice and log it: the one place it is written, checked and logged.

    No role check: an administrator's request comes through `set_taxonomy_in_force`;
    called directly, the author is the platform setting itself up. The caller commits.
    """
    if choice not in CHOICES:
        raise Invalid("taxonomy_in_force_unknown", field="choice", choice=choice)
    before = taxonomy_in_force(db)
    row = db.get(TaxonomyInForce, _ROW_ID)
    if row is None:
        db.add(TaxonomyInForce(id=_ROW_ID, choice=choice))
    else:
        row.choice = choice
    db.flush()
    if before != choice:
        record_change(
            db,
            author=author,
            kind=ChangeKind.CATEGORY,
            action="taxonomy_in_force",
            target="taxonomy_in_force",
            before={"choice": before},
            after={"choice": choice},
        )
    return choice


def categories_in_force(db: Session) -> list[Category]:
    """The active categories a case may be filed under, each after the group that holds it,
    in display order: what filing pages offer. A group without one of them is left out."""
    categories = list_categories(db)
    sources = sources_in_force(db)
    if sources is None:
        return categories
    kept = {c.code for c in categories if c.parent_code is not None and c.source in sources}
    groups = {c.parent_code for c in categories if c.code in kept}
    return [c for c in categories if c.code in kept or c.code in groups]


def require_in_force(db: Session, code: str) -> Category:
    """The category a new case may be filed under: active, level 2 and of the taxonomy in force.

    Refused for every caller, people and integrations alike, as a category switched
    off is: the taxonomy in force is the city's one standard for counting, routing
    and time limits, and a case filed outside it is counted under no group the city
    reports by. The caller gets a 422 at once and may send the case without a
    category (the classifier then files it among the categories in force).
    """
    category = require_category(db, code)
    sources = sources_in_force(db)
    if sources is not None and category.source not in sources:
        raise Invalid("category_not_in_force", code=category.code, name=category.name)
    return category
