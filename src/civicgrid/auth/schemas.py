"""What the auth API takes and returns."""

from pydantic import BaseModel, ConfigDict, Field

from civicgrid.auth.models import Role


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    scope_code: str
    department_id: int | None
    active: bool
    # Set when an administrator chose the password (a new or reset account) until the
    # owner replaces it; the admin page says so beside the account.
    must_change_password: bool


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    role: Role
    scope_code: str = Field(min_length=6, max_length=15)
    display_name: str = Field(default="", max_length=120)
    department_code: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=32)


class MeOut(BaseModel):
    kind: str
    username: str
    display_name: str
    role: str | None
    scope_code: str | None


class DepartmentIn(BaseModel):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[0-9A-Za-z_.-]+$")
    name: str = Field(min_length=1, max_length=120)
    kind: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    region_code: str = Field(min_length=6, max_length=15)


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    region_code: str


class UserChangeIn(BaseModel):
    """What an administrator changes on an account; a field left out stays as it is.
    `department_code: ""` takes the account out of its department."""

    display_name: str | None = Field(default=None, max_length=120)
    role: Role | None = None
    scope_code: str | None = Field(default=None, min_length=6, max_length=15, pattern=r"^\d+$")
    department_code: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=32)
    active: bool | None = None


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class PasswordResetOut(BaseModel):
    """The temporary password, shown once: it is never stored in clear or logged."""

    username: str
    temporary_password: str
