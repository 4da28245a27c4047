"""Users, departments, login tokens and integration keys."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UtcDateTime
from civicgrid.timeutil import utcnow


class Role(StrEnum):
    ADMIN = "admin"
    LEADER = "leader"
    DISPATCHER = "dispatcher"
    COMMUNITY_STAFF = "community_staff"
    GRID_WORKER = "grid_worker"
    DEPARTMENT_HANDLER = "department_handler"
    MEDIATOR = "mediator"
    RESIDENT = "resident"


class KeyKind(StrEnum):
    """Integration keys only. A device proves itself with its own code and key
    (`alarms.device_keys`); the old `device` kind was retired by migration 0019."""

    INTEGRATION = "integration"


class Department(Base):
    """A functional department (职能部门) of a city or district government."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )


class User(Base):
    """A person who signs in. Scope is the region whose code prefix they see."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    scope_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set when an administrator creates the account or resets its password: the person must
    # choose their own before anything else (auth/password_change.py).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AuthToken(Base):
    """A page session or an API bearer token, stored only as an HMAC of its value."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiKey(Base):
    """A key for an integration (Open311 client, hotline system); devices hold their own."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(12), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
