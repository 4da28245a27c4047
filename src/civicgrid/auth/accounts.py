"""An administrator's care of the accounts in their area: edit, deactivate, reset passwords.

Each verb reaches only accounts whose scope lies inside the administrator's
jurisdiction (another district's accounts are not found), and a new scope must
lie inside it too, so nobody can lift an account beyond their own reach. Every
change is written to the change log (`audit.log.record_change`) with the account
before and after, never a password hash. Deactivating an account or resetting its
password revokes every session and token it holds: the old password, or a browser
left signed in, stops working at once. The caller commits.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.models import AuthToken, Role, User
from civicgrid.auth.roles import ADMIN_ROLES
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import account_snapshot, department_id, hash_password, require_role
from civicgrid.divisions import normalise_code
from civicgrid.errors import Conflict, Forbidden, NotFound
from civicgrid.timeutil import utcnow

# A temporary password long enough that nobody guesses it before the owner signs in.
TEMPORARY_PASSWORD_BYTES = 9


@dataclass(frozen=True)
class AccountChange:
    """The fields an administrator sets; None leaves a field as it is."""

    display_name: str | None = None
    role: Role | None = None
    scope_code: str | None = None
    department_code: str | None = None
    clear_department: bool = False
    phone: str | None = None
    active: bool | None = None


def account_in_reach(db: Session, actor: Actor, user_id: int) -> User:
    """The account, when it lies inside the administrator's jurisdiction."""
    require_role(actor, ADMIN_ROLES)
    user = db.scalar(select(User).where(User.id == user_id, in_scope(actor, User.scope_code)))
    if user is None:
        raise NotFound("user_not_found", id=user_id)
    return user


def change_account(
    db: Session, actor: Actor, user_id: int, change: AccountChange, *, now: datetime | None = None
) -> User:
    user = account_in_reach(db, actor, user_id)
    before = account_snapshot(user)
    if change.scope_code is not None:
        scope = normalise_code(change.scope_code)
        if not may_see(actor, scope):
            raise Forbidden("scope_outside_jurisdiction", code=scope)
        user.scope_code = scope
    if change.active is False and user.username == actor.username:
        raise Conflict("account_self_deactivation")
    _apply(db, user, change)
    if change.active is False and before["active"]:
        revoke_sessions(db, user.id, now=now)
    db.flush()
    record_change(
        db,
        author=actor,
        kind=ChangeKind.USER,
        action="deactivate" if change.active is False and before["active"] else "update",
        target=user.username,
        region_code=user.scope_code,
        before=before,
        after=account_snapshot(user),
    )
    return user


def _apply(db: Session, user: User, change: AccountChange) -> None:
    if change.display_name is not None:
        user.display_name = change.display_name or user.username
    if change.role is not None:
        user.role = change.role.value
    if change.clear_department:
        user.department_id = None
    elif change.department_code is not None:
        user.department_id = department_id(db, change.department_code)
    if change.phone is not None:
        user.phone = change.phone or None
    if change.active is not None:
        user.active = change.active
        if change.active:
            user.failed_logins = 0
            user.locked_until = None


def reset_password(
    db: Session, actor: Actor, user_id: int, *, now: datetime | None = None
) -> tuple[User, str]:
    """A new temporary password, shown once to the administrator; the old one and every
    session end now, and the owner must choose their own at the next sign-in."""
    user = account_in_reach(db, actor, user_id)
    temporary = secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    revoked = revoke_sessions(db, user.id, now=now)
    record_change(
        db,
        author=actor,
        kind=ChangeKind.USER,
        action="reset_password",
        target=user.username,
        region_code=user.scope_code,
        after={"sessions_ended": revoked},
    )
    return user, temporary


def revoke_sessions(db: Session, user_id: int, *, now: datetime | None = None) -> int:
    """End every page session and API token of the account; how many were open."""
    result: Any = db.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
