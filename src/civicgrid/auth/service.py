"""Sign-in, tokens, integration keys and user administration."""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import column, or_, select, table
from sqlalchemy.orm import Session

from civicgrid.auth.models import ApiKey, AuthToken, Department, KeyKind, Role, User
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.divisions import normalise_code
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from civicgrid.settings import get_settings
from civicgrid.timeutil import as_utc, utcnow

TOKEN_KINDS = ("session", "bearer")
API_KEY_MARK = "cgk_"
MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")


@cache
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=2)


def _configured_hasher() -> PasswordHasher:
    settings = get_settings()
    return _hasher(settings.password_time_cost, settings.password_memory_kib)


def hash_password(password: str) -> str:
    return _configured_hasher().hash(password)


def _password_matches(stored_hash: str, password: str) -> bool:
    """Verification reads the cost from the stored hash, so old hashes keep working."""
    try:
        return _configured_hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(raw: str) -> str:
    """Tokens and keys are stored as an HMAC: a stolen table holds nothing usable."""
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()


def create_user(
    db: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    scope_code: str,
    display_name: str = "",
    department_code: str | None = None,
    phone: str | None = None,
) -> User:
    """Add one account; the scope must be a region that exists."""
    _require_username(db, username)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("password_too_short", minimum=MIN_PASSWORD_LENGTH)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=_require_role(role).value,
        scope_code=_require_region(db, scope_code),
        department_id=department_id(db, department_code),
        phone=phone,
        failed_logins=0,
        active=True,
    )
    db.add(user)
    db.flush()
    return user


def _require_username(db: Session, username: str) -> None:
    if not _USERNAME.match(username):
        raise Invalid("invalid_username", username=username)
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username_taken", username=username)


def _require_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise Invalid("unknown_role", role=role, roles=", ".join(Role)) from None


# Accounts sit below geography (geo reads the scope of an actor), so they name the
# regions table the way their foreign keys do, by name, instead of importing geo.
REGIONS = table("regions", column("code"))


def _require_region(db: Session, code: str) -> str:
    normalised = normalise_code(code)
    if db.scalar(select(REGIONS.c.code).where(REGIONS.c.code == normalised)) is None:
        raise NotFound("region_not_found", code=code)
    return normalised


def department_id(db: Session, code: str | None) -> int | None:
    if code is None:
        return None
    department_id = db.scalar(select(Department.id).where(Department.code == code))
    if department_id is None:
        raise NotFound("department_not_found", code=code)
    return department_id


def dispatch_targets(db: Session, actor: Actor) -> list[Department]:
    """Departments a case in the actor's area can go to: those of its district and city,
    and any inside its area; a national actor sees all."""
    if actor.scope_code is None:
        return []
    above = [actor.scope_code[:4] + "00", actor.scope_code[:6]]
    query = select(Department).where(
        or_(Department.region_code.in_(above), in_scope(actor, Department.region_code))
    )
    return list(db.scalars(query.order_by(Department.region_code, Department.kind)))


def list_users(db: Session, actor: Actor) -> list[User]:
    """Accounts whose scope lies inside the actor's jurisdiction."""
    query = select(User).where(in_scope(actor, User.scope_code)).order_by(User.username)
    return list(db.scalars(query))


def authenticate(db: Session, *, username: str, password: str, now: datetime | None = None) -> User:
    """Check a password, locking the account after repeated failures.

    The failure count is committed even though the caller gets an error, so a
    guesser cannot reset it by causing a rollback.
    """
    now = now or utcnow()
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        hash_password(password)  # same cost as a real check: do not reveal which names exist
        raise Unauthorized("bad_credentials")
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        raise Unauthorized("account_locked", minutes=_minutes_left(user, now))
    if not _password_matches(user.password_hash, password):
        _record_failure(db, user, now)
        raise Unauthorized("bad_credentials")
    user.failed_logins = 0
    user.locked_until = None
    return user


def _minutes_left(user: User, now: datetime) -> int:
    assert user.locked_until is not None
    return max(1, int((as_utc(user.locked_until) - now).total_seconds() // 60) + 1)


def _record_failure(db: Session, user: User, now: datetime) -> None:
    settings = get_settings()
    user.failed_logins += 1
    if user.failed_logins >= settings.max_failed_logins:
        user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        user.failed_logins = 0
    db.commit()


def issue_token(db: Session, *, user: User, kind: str, now: datetime | None = None) -> str:
    """A new random token; only its HMAC is kept."""
    if kind not in TOKEN_KINDS:
        raise ValueError(f"unknown token kind {kind}")
    now = now or utcnow()
    settings = get_settings()
    lifetime = (
        timedelta(hours=settings.session_hours)
        if kind == "session"
        else timedelta(minutes=settings.token_minutes)
    )
    raw = secrets.token_urlsafe(32)
    db.add(
        AuthToken(token_hash=_digest(raw), user_id=user.id, kind=kind, expires_at=now + lifetime)
    )
    db.flush()
    return raw


def user_for_token(db: Session, *, raw: str, kind: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    token = db.scalar(
        select(AuthToken).where(AuthToken.token_hash == _digest(raw), AuthToken.kind == kind)
    )
    if token is None or token.revoked_at is not None:
        raise Unauthorized("invalid_token")
    if as_utc(token.expires_at) <= now:
        raise Unauthorized("token_expired")
    user = db.get(User, token.user_id)
    if user is None or not user.active:
        raise Unauthorized("invalid_token")
    return user


def revoke_token(db: Session, *, raw: str, now: datetime | None = None) -> None:
    token = db.scalar(select(AuthToken).where(AuthToken.token_hash == _digest(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = now or utcnow()


def create_api_key(
    db: Session, *, name: str, scope_code: str, kind: KeyKind | str = KeyKind.INTEGRATION
) -> tuple[ApiKey, str]:
    """A new key for a system that posts to us; the raw value is shown once."""
    secret = secrets.token_urlsafe(32)
    raw = f"{API_KEY_MARK}{secret}"
    key = ApiKey(
        name=name,
        kind=KeyKind(kind).value,
        prefix=raw[: len(API_KEY_MARK) + 6],
        key_hash=_digest(raw),
        scope_code=_require_region(db, scope_code),
    )
    db.add(key)
    db.flush()
    return key, raw


def api_key_for(db: Session, raw: str) -> ApiKey:
    key = db.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(raw)))
    if key is None or key.revoked_at is not None:
        raise Unauthorized("invalid_api_key")
    return key


def actor_for_user(user: User) -> Actor:
    return Actor(
        kind="user",
        role=Role(user.role),
        scope_code=user.scope_code,
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        department_id=user.department_id,
    )


def actor_for_key(key: ApiKey) -> Actor:
    return Actor(kind="api_key", role=None, scope_code=key.scope_code, api_key_id=key.id)


def create_department(
    db: Session, *, code: str, name: str, kind: str, region_code: str
) -> Department:
    if db.scalar(select(Department.id).where(Department.code == code)) is not None:
        raise Conflict("department_exists", code=code)
    department = Department(
        code=code, name=name, kind=kind, region_code=_require_region(db, region_code)
    )
    db.add(department)
    db.flush()
    return department


STAFF_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.COMMUNITY_STAFF})


def require_role(actor: Actor, roles: frozenset[Role]) -> None:
    if actor.role not in roles:
        raise Forbidden("role_not_allowed")


def register_department(
    db: Session, actor: Actor, *, code: str, name: str, kind: str, region_code: str
) -> Department:
    """An administrator adds a department, only for a region inside their own jurisdiction."""
    require_role(actor, frozenset({Role.ADMIN}))
    region = normalise_code(region_code)
    if not may_see(actor, region):
        raise Forbidden("scope_outside_jurisdiction", code=region)
    return create_department(db, code=code, name=name, kind=kind, region_code=region)


def register_user(db: Session, actor: Actor, **fields: Any) -> User:
    """An administrator adds an account, only inside their own jurisdiction; the caller commits."""
    require_role(actor, frozenset({Role.ADMIN}))
    scope = normalise_code(str(fields.get("scope_code", "")))
    if not may_see(actor, scope):
        raise Forbidden("scope_outside_jurisdiction", code=scope)
    return create_user(db, **fields)
