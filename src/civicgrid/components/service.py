"""The component register, read inside the reader's jurisdiction."""

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope
from civicgrid.auth.service import require_role
from civicgrid.components.models import Component, ComponentStatus
from civicgrid.components.roles import COMPONENT_READERS
from civicgrid.errors import Invalid, NotFound


@dataclass(frozen=True)
class ComponentQuery:
    """`text` matches the start of the code or any part of the name or address."""

    text: str = ""
    class_code: str | None = None
    status: ComponentStatus | None = None
    region_code: str | None = None
    limit: int = 50
    offset: int = 0


def list_components(
    db: Session, actor: Actor, query: ComponentQuery
) -> tuple[list[Component], int]:
    """The area's components by code, a page of them with the full count."""
    require_role(actor, COMPONENT_READERS)
    conditions = [in_scope(actor, Component.region_code)]
    text = query.text.strip()
    if text:
        conditions.append(
            or_(
                Component.code.startswith(text, autoescape=True),
                Component.name.contains(text, autoescape=True),
                Component.address.contains(text, autoescape=True),
            )
        )
    if query.class_code is not None:
        conditions.append(Component.class_code.startswith(query.class_code, autoescape=True))
    if query.status is not None:
        conditions.append(Component.status == query.status.value)
    if query.region_code is not None:
        conditions.append(Component.region_code.startswith(query.region_code, autoescape=True))
    total = db.scalar(select(func.count()).select_from(Component).where(*conditions)) or 0
    page = db.scalars(
        select(Component)
        .where(*conditions)
        .order_by(Component.code)
        .limit(query.limit)
        .offset(query.offset)
    )
    return list(page), total


def visible_component(db: Session, actor: Actor, code: str) -> Component:
    """A component of the actor's area; one outside it does not exist for them."""
    require_role(actor, COMPONENT_READERS)
    found = db.scalar(
        select(Component).where(
            Component.code == code.strip(), in_scope(actor, Component.region_code)
        )
    )
    if found is None:
        raise NotFound("component_not_found", code=code)
    return found


def component_named(db: Session, actor: Actor, code: str) -> Component:
    """The component a case is about, as a reporter or staff member names it by code.

    Anyone who may file or edit a case may name one (the code is painted on the
    asset), but only inside their own area; an unknown code is the reporter's
    mistake (422), not a missing page.
    """
    found = db.scalar(
        select(Component).where(
            Component.code == code.strip(), in_scope(actor, Component.region_code)
        )
    )
    if found is None:
        raise Invalid("case_component_unknown", code=code)
    return found


def component_by_id(db: Session, component_id: int) -> Component:
    """The component a readable case points at: the case's reader may see what it is about."""
    return db.get_one(Component, component_id)
