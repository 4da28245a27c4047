"""The page where a person chooses their own password, and where the rule that they must
(`auth.password_change`) sends them: a page asked for before the change redirects here,
an API call is refused with 403 and a message in the caller's language.

Sign-in lands here when the account's password was set by an administrator; the form
asks for the current (temporary) password, the new one twice, and then goes on to where
the person was going.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from civicgrid.auth.deps import CallerIdentity, DbSession, Locale
from civicgrid.auth.password_change import PasswordChangeRequired, change_own_password
from civicgrid.errors import DomainError, error_body, request_locale
from civicgrid.i18n import translate
from civicgrid.web.rendering import render_page, turned_away, with_language
from civicgrid.web.security import same_site_path

router = APIRouter(include_in_schema=False)
PASSWORD_PAGE = "/password"
API_PREFIX = "/api/"
FIELDS = ("current_password", "new_password", "confirm_password")


def password_page_for(going: str) -> str:
    """The change page, remembering where the person was going."""
    return PASSWORD_PAGE if going == "/" else f"{PASSWORD_PAGE}?{urlencode({'next': going})}"


@router.get(PASSWORD_PAGE)
def password_form(request: Request, identity: CallerIdentity, locale: Locale) -> Response:
    if (away := turned_away(request, identity.actor)) is not None:
        return away
    going = same_site_path(request.query_params.get("next"))
    return _page(request, locale, going=going, required=identity.must_change_password)


@router.post(PASSWORD_PAGE)
def change_password(
    request: Request,
    db: DbSession,
    identity: CallerIdentity,
    locale: Locale,
    *,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
    going: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    if (away := turned_away(request, identity.actor)) is not None:
        return away
    going = same_site_path(going)
    errors = _missing(locale, (current_password, new_password, confirm_password))
    if not errors and new_password != confirm_password:
        errors = {"confirm_password": translate("page.case_view.password.mismatch", locale)}
    if not errors:
        try:
            change_own_password(db, identity.actor, current=current_password, new=new_password)
        except DomainError as refusal:
            field = str(refusal.params.get("field", "current_password"))
            errors = {field if field in FIELDS else "current_password": refusal.message(locale)}
    if errors:
        db.rollback()
        return _page(
            request,
            locale,
            going=going,
            required=identity.must_change_password,
            errors=errors,
            status_code=422,
        )
    db.commit()
    return with_language(request, RedirectResponse(going, status_code=303))


def _missing(locale: str, values: tuple[str, ...]) -> dict[str, str]:
    required = translate("page.login.required", locale)
    return {field: required for field, value in zip(FIELDS, values, strict=True) if not value}


def _page(
    request: Request,
    locale: str,
    *,
    going: str,
    required: bool,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render_page(
        request,
        "password.html",
        locale,
        status_code=status_code,
        going=going,
        required=required,
        errors=errors or {},
        fields=FIELDS,
    )


async def _change_first(request: Request, exc: Exception) -> Response:
    """Pages go to the change page; API calls get 403 with the reason in the caller's language."""
    assert isinstance(exc, PasswordChangeRequired)
    if request.url.path.startswith(API_PREFIX):
        body = error_body(exc.code, exc.message(request_locale(request)))
        return JSONResponse(body, status_code=exc.status_code)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(password_page_for(same_site_path(here)), status_code=303)


def install_password_gate(app: FastAPI) -> None:
    app.add_exception_handler(PasswordChangeRequired, _change_first)
