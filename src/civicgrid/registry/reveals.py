"""Revealing a protected value, always with an audit row saying who looked, at what, and why."""

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor, in_scope
from civicgrid.errors import Invalid
from civicgrid.registry.models import Housing, Organisation, Resident, Reveal
from civicgrid.registry.roles import AUDIT_ROLES, REVEAL_ROLES
from civicgrid.registry.sealing import (
    CONTACT_PHONE,
    DOCUMENT,
    OWNER_PHONE,
    PHONE,
    cipher_for,
    opened,
)
from civicgrid.registry.service import MAX_LIMIT, require_role, visible
from civicgrid.settings import Settings

log = logging.getLogger(__name__)

MIN_REASON = 4
# What may be revealed: (subject, field) -> the row type, its token column, the sealing field.
REVEALABLE: dict[tuple[str, str], tuple[type[Resident | Housing | Organisation], str, str]] = {
    ("resident", "document_number"): (Resident, "document_token", DOCUMENT),
    ("resident", "phone"): (Resident, "phone_token", PHONE),
    ("housing", "owner_phone"): (Housing, "owner_phone_token", OWNER_PHONE),
    ("organisation", "contact_phone"): (Organisation, "contact_phone_token", CONTACT_PHONE),
}


def reveal(
    db: Session,
    actor: Actor,
    *,
    settings: Settings,
    subject_kind: str,
    subject_id: int,
    field: str,
    reason: str,
) -> str:
    """The unmasked value, with an audit row saying who looked, at what, and why.

    Visibility is checked before the role, so a row outside the actor's area is
    "not found" whatever their role; inside it, only roles that do casework may look.
    """
    target = REVEALABLE.get((subject_kind, field))
    if target is None:
        raise Invalid("registry_reveal_field", field=field)
    model, column, _ = target
    row = visible(db, actor, model, subject_id)
    require_role(actor, REVEAL_ROLES)
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise Invalid("registry_reveal_reason", min=MIN_REASON)
    value = opened(cipher_for(settings), row, column)
    if value is None:
        raise Invalid("registry_reveal_empty")
    db.add(
        Reveal(
            user_id=actor.user_id,
            username=actor.username,
            role=actor.role.value if actor.role else "",
            subject_kind=subject_kind,
            subject_id=subject_id,
            field=field,
            reason=reason,
            region_code=row.region_code,
        )
    )
    db.flush()
    log.info("registry: %s revealed %s of %s %s", actor.username, field, subject_kind, subject_id)
    return value


def list_reveals(db: Session, actor: Actor, *, limit: int = MAX_LIMIT) -> list[Reveal]:
    """The audit of reveals in the actor's area, newest first."""
    require_role(actor, AUDIT_ROLES)
    query = (
        select(Reveal)
        .where(in_scope(actor, Reveal.region_code))
        .order_by(Reveal.at.desc(), Reveal.id.desc())
        .limit(min(limit, MAX_LIMIT))
    )
    return list(db.scalars(query))
