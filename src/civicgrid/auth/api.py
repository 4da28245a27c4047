"""Sign-in for API clients (OAuth2 password flow) and user administration."""

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from civicgrid.auth import accounts, password_change, service
from civicgrid.auth.deps import CurrentActor, CurrentVisitor, DbSession, PasswordChanger
from civicgrid.auth.roles import STAFF_ROLES
from civicgrid.auth.schemas import (
    DepartmentIn,
    DepartmentOut,
    MeOut,
    PasswordChangeIn,
    PasswordResetOut,
    TokenOut,
    UserChangeIn,
    UserIn,
    UserOut,
)
from civicgrid.db import RowId
from civicgrid.settings import get_settings

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=TokenOut)
def post_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbSession, visitor: CurrentVisitor
) -> TokenOut:
    user = service.sign_in(db, visitor, username=form.username, password=form.password)
    token = service.issue_token(db, user=user, kind="bearer")
    db.commit()
    return TokenOut(access_token=token, expires_in=int(get_settings().token_minutes * 60))


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def post_own_password(body: PasswordChangeIn, db: DbSession, actor: PasswordChanger) -> None:
    """The caller chooses their own password, proving the current one; open even while an
    administrator's password still has to be replaced (every other call is refused then)."""
    password_change.change_own_password(
        db, actor, current=body.current_password, new=body.new_password
    )
    db.commit()


@router.get("/auth/me", response_model=MeOut)
def get_me(actor: CurrentActor) -> MeOut:
    return MeOut(
        kind=actor.kind,
        username=actor.username,
        display_name=actor.display_name,
        role=actor.role.value if actor.role else None,
        scope_code=actor.scope_code,
    )


@router.get("/users", response_model=list[UserOut])
def get_users(db: DbSession, actor: CurrentActor) -> list[UserOut]:
    """Accounts inside the caller's jurisdiction (staff roles only)."""
    service.require_role(actor, STAFF_ROLES)
    return [UserOut.model_validate(user) for user in service.list_users(db, actor)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def post_user(body: UserIn, db: DbSession, actor: CurrentActor) -> UserOut:
    user = service.register_user(db, actor, **body.model_dump())
    db.commit()
    return UserOut.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserOut)
def patch_user(user_id: RowId, body: UserChangeIn, db: DbSession, actor: CurrentActor) -> UserOut:
    """Edit or deactivate an account of the administrator's area; deactivating ends its
    sessions."""
    asked = body.model_dump(exclude_unset=True)
    department = asked.pop("department_code", None)
    change = accounts.AccountChange(
        **asked,
        department_code=department or None,
        clear_department=department == "",
    )
    user = accounts.change_account(db, actor, user_id, change)
    db.commit()
    return UserOut.model_validate(user)


@router.post("/users/{user_id}/password", response_model=PasswordResetOut)
def post_password_reset(user_id: RowId, db: DbSession, actor: CurrentActor) -> PasswordResetOut:
    """A temporary password for the account, shown once; its old password and sessions end."""
    user, temporary = accounts.reset_password(db, actor, user_id)
    db.commit()
    return PasswordResetOut(username=user.username, temporary_password=temporary)


@router.get("/departments", response_model=list[DepartmentOut])
def get_departments(db: DbSession, actor: CurrentActor) -> list[DepartmentOut]:
    """Where the actor may dispatch: the departments of their district and city."""
    return [DepartmentOut.model_validate(item) for item in service.dispatch_targets(db, actor)]


@router.post("/departments", response_model=DepartmentOut, status_code=status.HTTP_201_CREATED)
def post_department(body: DepartmentIn, db: DbSession, actor: CurrentActor) -> DepartmentOut:
    """An administrator adds a functional department of a city or district in their area."""
    department = service.register_department(db, actor, **body.model_dump())
    db.commit()
    return DepartmentOut.model_validate(department)
