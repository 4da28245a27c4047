"""The taxonomy in force: which categories the city files cases under and suggestion offers.

A city may run on the built-in categories, the government taxonomy it imported,
its own (created or imported by its administrators), or all of them together.
Two taxonomies in force at once split every message between near-duplicate
categories (a noise complaint is both 噪音扰民 and 环境污染), so a city that imported
the government taxonomy usually puts it alone in force. Categories outside the
choice stay stored and active (old cases point at them) but are never suggested.
"""

from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.scope import Actor
from civicgrid.categories.models import TaxonomyInForce
from civicgrid.categories.service import (
    ADMIN_SOURCE,
    BUILTIN_SOURCE,
    GOVERNMENT_SOURCE,
    require_keeper,
)
from civicgrid.errors import Invalid

ALL = "all"
# Each choice and the `Category.source` values it keeps in force (None: every source).
CHOICES: dict[str, frozenset[str] | None] = {
    ALL: None,
    "builtin": frozenset({BUILTIN_SOURCE}),
    "government": frozenset({GOVERNMENT_SOURCE}),
    "own": frozenset({ADMIN_SOURCE}),
}
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
            author=actor,
            kind=ChangeKind.CATEGORY,
            action="taxonomy_in_force",
            target="taxonomy_in_force",
            before={"choice": before},
            after={"choice": choice},
        )
    return choice
