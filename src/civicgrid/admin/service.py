"""The change log as leaders and administrators read it: their own area, newest first."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from civicgrid.admin.roles import AUDIT_READERS
from civicgrid.audit.log import ChangeKind
from civicgrid.audit.models import AdminChange
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.auth.service import require_role


@dataclass(frozen=True)
class ChangeQuery:
    """Each filter that is set narrows the list; `actor` is a label such as `user:admin`."""

    kind: ChangeKind | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_changes(
    db: Session, actor: Actor, query: ChangeQuery, *, limit: int, offset: int
) -> tuple[list[AdminChange], int]:
    """One page of the changes inside the reader's jurisdiction, and how many there are."""
    require_role(actor, AUDIT_READERS)
    conditions = [in_scope(actor, AdminChange.region_code), *_filters(query)]
    total = db.scalar(select(func.count()).select_from(AdminChange).where(*conditions)) or 0
    rows = db.scalars(
        select(AdminChange)
        .where(*conditions)
        .order_by(AdminChange.sequence.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def _filters(query: ChangeQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.kind is not None:
        conditions.append(AdminChange.kind == query.kind.value)
    if query.actor:
        conditions.append(AdminChange.actor == query.actor)
    if query.since is not None:
        conditions.append(AdminChange.created_at >= query.since)
    if query.until is not None:
        conditions.append(AdminChange.created_at < query.until)
    return conditions
