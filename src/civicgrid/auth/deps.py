"""Request dependencies shared by every router: the database session and the actor.

Written once as `Annotated` aliases so a router never repeats how a session
is opened or who is asking.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.password_change import PasswordChangeRequired
from civicgrid.auth.scope import ANONYMOUS, Actor
from civicgrid.errors import Unauthorized, request_locale
from civicgrid.throttle import Visitor

SESSION_COOKIE = "civicgrid_session"
API_KEY_HEADER = "x-api-key"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_db(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db)]


@dataclass(frozen=True)
class Identity:
    """Who is asking, and whether they still have to replace an administrator's password."""

    actor: Actor
    must_change_password: bool = False


def identify(
    request: Request, db: DbSession, bearer: Annotated[str | None, Depends(oauth2_scheme)]
) -> Identity:
    """Bearer token, then API key, then page session cookie; else anonymous."""
    if bearer:
        user = auth_service.user_for_token(db, raw=bearer, kind="bearer")
        return Identity(auth_service.actor_for_user(user), user.must_change_password)
    api_key = request.headers.get(API_KEY_HEADER)
    if api_key:
        return Identity(auth_service.actor_for_key(auth_service.api_key_for(db, api_key)))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            user = auth_service.user_for_token(db, raw=cookie, kind="session")
        except Unauthorized:
            return Identity(ANONYMOUS)
        return Identity(auth_service.actor_for_user(user), user.must_change_password)
    return Identity(ANONYMOUS)


def get_optional_actor(identity: Annotated[Identity, Depends(identify)]) -> Actor:
    """The caller of every route but signing out and changing the password: one whose
    password an administrator set is stopped here until they have chosen their own."""
    if identity.must_change_password:
        raise PasswordChangeRequired()
    return identity.actor


def get_password_changer(identity: Annotated[Identity, Depends(identify)]) -> Actor:
    """The caller of the password change itself, let through even before the change."""
    if identity.actor.kind != "user":
        raise Unauthorized("unauthenticated")
    return identity.actor


PasswordChanger = Annotated[Actor, Depends(get_password_changer)]
CallerIdentity = Annotated[Identity, Depends(identify)]
OptionalActor = Annotated[Actor, Depends(get_optional_actor)]


def get_actor(actor: OptionalActor) -> Actor:
    if not actor.authenticated:
        raise Unauthorized("unauthenticated")
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


def get_locale(request: Request) -> str:
    return request_locale(request)


Locale = Annotated[str, Depends(get_locale)]


def get_visitor(request: Request) -> Visitor:
    """The caller as the throttles count them: by the address the server sees."""
    address = request.client.host if request.client else "unknown"
    return Visitor(address=address, throttle=request.app.state.throttle)


CurrentVisitor = Annotated[Visitor, Depends(get_visitor)]
