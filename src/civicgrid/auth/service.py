"""Sign-in, tokens, integration keys and user administration."""

import hashlib
import hmac
import math
import re
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import column, or_, select, table, update
from sqlalchemy.orm import Session

from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth.models import ApiKey, AuthToken, Department, KeyKind, Role, User
from civicgrid.auth.roles import ADMIN_ROLES
from civicgrid.auth.scope import NATIONAL_SCOPE, Actor, in_scope, may_see
from civicgrid.divisions import Level, level_of, normalise_code
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from civicgrid.settings import get_settings
from civicgrid.throttle import Visitor
from civicgrid.timeutil import as_utc, utcnow

TOKEN_KINDS = ("session", "bearer")
API_KEY_MARK = "cgk_"
MIN_PASSWORD_LENGTH = 8
# A lock doubles at most this many times (15 minutes grow to 16 hours), so it always ends.
MAX_LOCK_DOUBLINGS = 6
CITY_OR_ABOVE = frozenset({Level.CITY, Level.PROVINCE})
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


def sign_in(
    db: Session, visitor: Visitor, *, username: str, password: str, now: datetime | None = None
) -> User:
    """A password check behind the throttles: per client address, and per account from it.

    The per-account budget is keyed by the name as typed, whether an account has it
    or not, so the throttle answers a made-up name exactly as a real one. It counts
    per address: a stranger spending it blocks only their own address, never the
    owner signing in from elsewhere; the owner's success wipes their own count.
    """
    account = f"{username}@{visitor.address}"
    visitor.throttle.spend(
        (visitor.budgets.login_per_address, visitor.address),
        (visitor.budgets.login_per_account, account),
    )
    user = authenticate(db, username=username, password=password, now=now)
    visitor.throttle.forgive(visitor.budgets.login_per_account, account)
    return user


def authenticate(db: Session, *, username: str, password: str, now: datetime | None = None) -> User:
    """Check a password; an account locks after many failures from anywhere.

    Failures are counted by the database in one statement, so parallel guesses
    cannot overwrite each other's count, and committed even though the caller
    gets an error, so a guesser cannot reset it by causing a rollback.
    """
    now = now or utcnow()
    user = db.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        _password_matches(_dummy_hash(), password)  # the same work as a real check
        raise Unauthorized("bad_credentials")
    if _locked(user.locked_until, now):
        raise _lock_refusal(user.locked_until, now)
    if not _password_matches(user.password_hash, password):
        _record_failure(db, user.id, now)
        raise Unauthorized("bad_credentials")
    _record_success(db, user, now)
    return user


def _dummy_hash() -> str:
    """A hash no password matches, verified for unknown names so they cost a real check."""
    settings = get_settings()
    return _unmatched_hash(settings.password_time_cost, settings.password_memory_kib)


@cache
def _unmatched_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash(secrets.token_urlsafe(16))


def _locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and as_utc(locked_until) > now


def _lock_refusal(locked_until: datetime | None, now: datetime) -> TooManyRequests:
    """A locked account answers like a spent throttle: the same words for every name."""
    assert locked_until is not None
    seconds = math.ceil((as_utc(locked_until) - now).total_seconds())
    return TooManyRequests("too_many_attempts", retry_after=max(1, seconds))


def _record_failure(db: Session, user_id: int, now: datetime) -> None:
    """Count one failure; every full round of failures locks for twice as long as the last."""
    settings = get_settings()
    failures = db.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if failures % settings.account_lock_failures == 0:
        rounds = failures // settings.account_lock_failures
        minutes = settings.lockout_minutes * 2 ** min(rounds - 1, MAX_LOCK_DOUBLINGS)
        db.execute(
            update(User)
            .where(User.id == user_id)
            .values(locked_until=now + timedelta(minutes=minutes))
            .execution_options(synchronize_session=False)
        )
    db.commit()


def _record_success(db: Session, user: User, now: datetime) -> None:
    """Clear the count, unless a burst of failures locked the account while this was checked."""
    cleared = db.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=0, locked_until=None)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if cleared is None:
        db.rollback()
        raise _lock_refusal(db.scalar(select(User.locked_until).where(User.id == user.id)), now)
    user.failed_logins = 0
    user.locked_until = None


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
    return Actor(
        kind="api_key",
        role=None,
        scope_code=key.scope_code,
        api_key_id=key.id,
        key_kind=key.kind,
    )


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


def require_role(actor: Actor, roles: frozenset[Role]) -> None:
    if actor.role not in roles:
        raise Forbidden("role_not_allowed")


def is_city_admin(actor: Actor) -> bool:
    """An administrator whose scope is a whole city or more: what city-wide settings need."""
    if actor.role not in ADMIN_ROLES or actor.scope_code is None:
        return False
    return actor.scope_code == NATIONAL_SCOPE or level_of(actor.scope_code) in CITY_OR_ABOVE


def require_city_admin(actor: Actor) -> None:
    """Settings the whole city shares (category time limits, scoring weights) need city scope.

    An administrator of one district or grid runs its own area; a change to these
    would reach every other district too.
    """
    require_role(actor, ADMIN_ROLES)
    if not is_city_admin(actor):
        raise Forbidden("city_scope_required")


def register_department(
    db: Session, actor: Actor, *, code: str, name: str, kind: str, region_code: str
) -> Department:
    """An administrator adds a department, only for a region inside their own jurisdiction."""
    require_role(actor, ADMIN_ROLES)
    region = normalise_code(region_code)
    if not may_see(actor, region):
        raise Forbidden("scope_outside_jurisdiction", code=region)
    department = create_department(db, code=code, name=name, kind=kind, region_code=region)
    record_change(
        db,
        author=actor,
        kind=ChangeKind.DEPARTMENT,
        action="create",
        target=department.code,
        region_code=department.region_code,
        after={"code": code, "name": name, "kind": kind, "region_code": department.region_code},
    )
    return department


def register_user(db: Session, actor: Actor, **fields: Any) -> User:
    """An administrator adds an account, only inside their own jurisdiction; the caller commits.

    The administrator chose its password, so its owner must choose their own at the first
    sign-in (`password_change`)."""
    require_role(actor, ADMIN_ROLES)
    scope = normalise_code(str(fields.get("scope_code", "")))
    if not may_see(actor, scope):
        raise Forbidden("scope_outside_jurisdiction", code=scope)
    user = create_user(db, **fields)
    user.must_change_password = True
    record_change(
        db,
        author=actor,
        kind=ChangeKind.USER,
        action="create",
        target=user.username,
        region_code=user.scope_code,
        after=account_snapshot(user),
    )
    return user


def account_snapshot(user: User) -> dict[str, Any]:
    """What the change log keeps of an account: never its password hash."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "scope_code": user.scope_code,
        "department_id": user.department_id,
        "phone": user.phone,
        "active": user.active,
    }


def register_api_key(
    db: Session, actor: Actor, *, name: str, scope_code: str, kind: KeyKind | str
) -> tuple[ApiKey, str]:
    """An administrator issues a key inside their jurisdiction; only its prefix is logged."""
    require_role(actor, ADMIN_ROLES)
    scope = normalise_code(scope_code)
    if not may_see(actor, scope):
        raise Forbidden("scope_outside_jurisdiction", code=scope)
    key, raw = create_api_key(db, name=name, scope_code=scope, kind=kind)
    record_change(
        db,
        author=actor,
        kind=ChangeKind.API_KEY,
        action="create",
        target=f"{key.id}",
        region_code=key.scope_code,
        after={"name": key.name, "kind": key.kind, "prefix": key.prefix, "scope_code": scope},
    )
    return key, raw
