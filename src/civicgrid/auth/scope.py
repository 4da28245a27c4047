"""Jurisdiction: the one place that decides which rows an actor may see.

Every query that returns cases, people or places filters through `in_scope`.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.orm import QueryableAttribute

from civicgrid.auth.models import Role
from civicgrid.divisions import contains, significant_prefix


@dataclass(frozen=True)
class Actor:
    """Who is asking: a signed-in user, an integration key, or nobody."""

    kind: str
    role: Role | None
    scope_code: str | None
    user_id: int | None = None
    api_key_id: int | None = None
    username: str = ""
    display_name: str = ""
    department_id: int | None = None
    key_kind: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"


ANONYMOUS = Actor(kind="anonymous", role=None, scope_code=None)
NATIONAL_SCOPE = ""
"""The scope of the command line: whoever runs it on the server already holds the database."""


def scope_prefix(scope_code: str) -> str:
    return "" if scope_code == NATIONAL_SCOPE else significant_prefix(scope_code)


def in_scope(
    actor: Actor, column: QueryableAttribute[str] | ColumnElement[str]
) -> ColumnElement[bool]:
    """Rows whose region code lies inside what the actor may see.

    An actor without a scope sees nothing: the filter is never left off. The
    prefix is asked as a range of codes (`prefix_range`), not LIKE 'prefix%':
    a plain index serves a range on both engines, while LIKE uses one only under
    the C collation (PostgreSQL) or case-sensitive LIKE (SQLite).
    """
    if actor.scope_code is None:
        return column.is_(None) & column.is_not(None)
    return within(column, scope_prefix(actor.scope_code))


def within(
    column: QueryableAttribute[str] | ColumnElement[str], prefix: str
) -> ColumnElement[bool]:
    """Codes that start with a digit prefix, as an index-friendly range (see `in_scope`)."""
    low, high = prefix_range(prefix)
    if high is None:
        return column >= low
    return (column >= low) & (column < high)


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """The codes starting with a digit prefix are exactly those in [low, high).

    `high` is the prefix plus one, at the same length ("53059" → "53060"): every
    code that starts with the prefix sorts below it and nothing else in between.
    A prefix of nines has no upper end; the empty prefix (the whole country) is
    every code, which the low end "" already is.
    """
    if not prefix or set(prefix) == {"9"}:
        return prefix, None
    return prefix, str(int(prefix) + 1).zfill(len(prefix))


def may_see(actor: Actor, region_code: str) -> bool:
    """The same rule as `in_scope`, for one code already in hand."""
    return actor.scope_code is not None and region_code.startswith(scope_prefix(actor.scope_code))


def is_ancestor_of_scope(actor: Actor, region_code: str) -> bool:
    """Regions above the actor's own (its district, its city) may be named, not opened."""
    return actor.scope_code is not None and contains(region_code, actor.scope_code)
