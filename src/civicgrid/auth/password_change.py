"""Choosing one's own password, and the rule that an account given a password by an
administrator (created, or reset to a one-time temporary password in `accounts`) must do
so before anything else.

Until then the account is let in only to sign out and to change the password: every
other page sends it to the change page, every other API call is refused with 403
(`PasswordChangeRequired`, raised where the caller is identified, `auth.deps`). The caller
commits.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.models import User
from civicgrid.auth.scope import Actor
from civicgrid.auth.service import MIN_PASSWORD_LENGTH, authenticate, hash_password
from civicgrid.errors import Forbidden, Invalid, NotFound, Unauthorized

CHANGE_REQUIRED = "password_change_required"


class PasswordChangeRequired(Forbidden):
    """The caller signed in with a password an administrator gave them."""

    def __init__(self) -> None:
        super().__init__(CHANGE_REQUIRED)


def change_own_password(
    db: Session, actor: Actor, *, current: str, new: str, now: datetime | None = None
) -> User:
    """Replace the signed-in person's password, proving the current one first.

    The current password is checked as a sign-in is (failures count towards the lock),
    so a browser left signed in cannot be used to guess it.
    """
    if actor.kind != "user" or actor.user_id is None:
        raise Unauthorized("unauthenticated")
    try:
        user = authenticate(db, username=actor.username, password=current, now=now)
    except Unauthorized as refusal:
        raise Invalid("current_password_wrong", field="current_password") from refusal
    if user.id != actor.user_id:
        raise NotFound("user_not_found", id=actor.user_id)
    if len(new) < MIN_PASSWORD_LENGTH:
        raise Invalid("password_too_short", field="new_password", minimum=MIN_PASSWORD_LENGTH)
    if new == current:
        raise Invalid("password_unchanged", field="new_password")
    forced = user.must_change_password
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.flush()
    record_change(
        db,
        author=actor,
        kind=ChangeKind.USER,
        action="change_password",
        target=user.username,
        region_code=user.scope_code,
        after={"required": forced},
    )
    return user
