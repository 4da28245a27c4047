"""Domain errors carry a code; one handler turns them into translated JSON.

Every error leaves the API as {"error": {"code", "message"}} in the caller's
language, whatever raised it: a service, a validator, the router, or a bug.
"""

import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicgrid.i18n import LANG_COOKIE, negotiate_locale, translate

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A refusal the user can act on. `code` is also the catalogue message id."""

    status_code = 400

    def __init__(self, code: str, /, *, status_code: int | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
        if status_code is not None:
            self.status_code = status_code

    def message(self, locale: str) -> str:
        return translate(f"error.{self.code}", locale, **self.params)


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class Invalid(DomainError):
    status_code = 422


class TooLarge(DomainError):
    status_code = 413


class TooManyRequests(DomainError):
    """A budget of attempts is spent; `retry_after` seconds says when the next one counts."""

    status_code = 429

    def __init__(self, code: str, /, *, retry_after: int, **params: Any) -> None:
        minutes = math.ceil(retry_after / 60)
        super().__init__(code, seconds=retry_after, minutes=minutes, **params)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class BatchInvalid(Invalid):
    """Some items of a batch were refused; the batch as a whole was not stored."""

    def __init__(self, items: Sequence[tuple[int, DomainError]]) -> None:
        super().__init__("batch_invalid", count=len(items))
        self.items = list(items)


def request_locale(request: Request) -> str:
    return negotiate_locale(
        request.headers.get("accept-language"),
        request.query_params.get("lang") or request.cookies.get(LANG_COOKIE),
    )


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = _error_headers(exc)
    locale = request_locale(request)
    extra = (
        {"items": [_item_problem(index, item, locale) for index, item in exc.items]}
        if isinstance(exc, BatchInvalid)
        else {}
    )
    body = error_body(exc.code, exc.message(locale), **extra)
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _error_headers(exc: DomainError) -> dict[str, str] | None:
    if isinstance(exc, TooManyRequests):
        return exc.headers()
    return {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None


def _item_problem(index: int, error: DomainError, locale: str) -> dict[str, Any]:
    return {"index": index, "code": error.code, "message": error.message(locale)}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    locale = request_locale(request)
    fields = [_field_problem(error, locale) for error in exc.errors()]
    summary = "; ".join(f"{item['field']}: {item['message']}" for item in fields)
    message = translate("error.validation", locale, details=summary)
    return JSONResponse(error_body("validation", message, fields=fields), status_code=422)


def _field_problem(error: Any, locale: str) -> dict[str, str]:
    location = [str(part) for part in error.get("loc", ()) if part not in {"body", "query", "path"}]
    kind = str(error.get("type", "value_error"))
    message = translate(f"validation.{kind}", locale, **error.get("ctx", {}) or {})
    if message == f"validation.{kind}":
        message = translate("validation.invalid", locale)
    return {"field": ".".join(location) or "-", "type": kind, "message": message}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    name = code.get(exc.status_code, "http_error")
    message = translate(f"error.{name}", request_locale(request))
    return JSONResponse(error_body(name, message), status_code=exc.status_code)


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot hold (a NUL character on PostgreSQL, an out-of-range number).

    The request's transaction is rolled back by the session dependency, so nothing
    is half-written; the caller sent something no validator foresaw, which is a 4xx.
    """
    log.info("database refused a value on %s %s: %s", request.method, request.url.path, exc)
    message = translate("error.unstorable_value", request_locale(request))
    return JSONResponse(error_body("unstorable_value", message), status_code=422)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    """A unique key taken by a concurrent request between a service's check and its write.

    Services check for an existing name or code first, so only a lost race reaches
    the database's unique index: the caller's write is rolled back and a 409 asks them
    to reload. Any other broken constraint is a bug and stays a 500.
    """
    assert isinstance(exc, IntegrityError)
    if not _unique_violation(exc):
        return await _unexpected_error(request, exc)
    log.info("lost a race for a unique key on %s %s: %s", request.method, request.url.path, exc)
    message = translate("error.written_concurrently", request_locale(request))
    return JSONResponse(error_body("written_concurrently", message), status_code=409)


def _unique_violation(exc: IntegrityError) -> bool:
    """PostgreSQL's SQLSTATE 23505, or SQLite's unique and primary key constraint codes."""
    cause = exc.orig
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == "23505")
    name = getattr(cause, "sqlite_errorname", "")
    return name in {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = translate("error.internal", request_locale(request))
    return JSONResponse(error_body("internal", message), status_code=500)
