"""Open311 GeoReport v2 endpoints at /open311/v2, each in `.json` or `.xml`.

Errors leave in the spec's own shape, `[{"code", "description"}]` or
`<errors><error>…`, not in the platform's `{"error": …}`: a route class
catches every refusal raised while handling these paths, so an Open311 client
never has to parse a second error format.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicgrid.auth.deps import API_KEY_HEADER, DbSession, Locale
from civicgrid.errors import DomainError, request_locale
from civicgrid.i18n import translate
from civicgrid.open311 import catalogue, intake, service
from civicgrid.open311.formats import Format, respond
from civicgrid.open311.schemas import ErrorOut, PostedOut, TokenOut

PREFIX = "/open311/v2"
# The spec knows 400, 403 and 404: a malformed request is a 400 here even where the
# platform says 422, and a bad key a 403 (the key is in the body, not a login).
SPEC_STATUS = {401: 403, 422: 400}
HTTP_CODES = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


class Open311Route(APIRoute):
    """Turns any refusal on an Open311 path into the spec's error list, in the asked format."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handle(request)
            except DomainError as refusal:
                return error_response(
                    request, refusal.status_code, refusal.message(request_locale(request))
                )
            except RequestValidationError as refusal:
                return error_response(request, 400, _validation_text(request, refusal))
            except DataError:
                text = translate("error.unstorable_value", request_locale(request))
                return error_response(request, 400, text)
            except StarletteHTTPException as refusal:
                name = HTTP_CODES.get(refusal.status_code, "http_error")
                text = translate(f"error.{name}", request_locale(request))
                return error_response(request, refusal.status_code, text)

        return guarded


def error_response(request: Request, status_code: int, description: str) -> Response:
    """In XML when the path asked for XML, else in JSON (also for a format we do not serve)."""
    code = SPEC_STATUS.get(status_code, status_code)
    fmt = Format.XML if request.url.path.endswith(".xml") else Format.JSON
    return respond(fmt, "errors", [ErrorOut(code=code, description=description)], status_code=code)


def _validation_text(request: Request, refusal: RequestValidationError) -> str:
    fields = ", ".join(str(error["loc"][-1]) for error in refusal.errors() if error.get("loc"))
    return translate("error.open311_parameter_invalid", request_locale(request), fields=fields)


# Each path answers in the format its suffix names; the OpenAPI says so, so a client
# generated from it (or a fuzzer checking answers against it) expects the XML too.
BOTH_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/xml": {"schema": {"type": "string"}}}}
}
router = APIRouter(
    prefix=PREFIX, tags=["open311"], route_class=Open311Route, responses=BOTH_FORMATS
)


@router.get("/services.{fmt}")
def get_services(
    fmt: Format, db: DbSession, locale: Locale, jurisdiction_id: str | None = None
) -> Response:
    service.jurisdiction(db, jurisdiction_id)
    return respond(fmt, "services", catalogue.services(db, locale=locale))


@router.get("/services/{service_code}.{fmt}")
def get_service_definition(
    service_code: str, fmt: Format, db: DbSession, jurisdiction_id: str | None = None
) -> Response:
    service.jurisdiction(db, jurisdiction_id)
    return respond(fmt, "service_definition", catalogue.definition(db, service_code))


async def form_fields(request: Request) -> dict[str, list[str]]:
    """Every text field of the form, repeated names kept (`attribute[CODE][]`)."""
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(name, []).append(value)
    return fields


FormFields = Annotated[dict[str, list[str]], Depends(form_fields)]


@router.post("/requests.{fmt}")
def post_request(
    fmt: Format,
    request: Request,
    fields: FormFields,
    db: DbSession,
    *,
    locale: Locale,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    posted = intake.submit(
        db,
        request.app.state.grid_index,
        fields,
        header_key=request.headers.get(API_KEY_HEADER),
        client_key=idempotency_key,
    )
    body = PostedOut(
        token=posted.token,
        service_request_id=posted.case.number,
        service_notice=service.notice(posted.case, locale=locale),
        account_id=None,
    )
    return respond(fmt, "service_requests", [body], status_code=201 if posted.created else 200)


@router.get("/requests.{fmt}")
def get_requests(
    fmt: Format,
    db: DbSession,
    locale: Locale,
    *,
    jurisdiction_id: str | None = None,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    extensions: bool = False,
) -> Response:
    city = service.jurisdiction(db, jurisdiction_id)
    query = service.parse_query(
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
    )
    cases = service.find_requests(db, city, query)
    body = service.requests_out(db, cases, locale=locale, extensions=extensions)
    return respond(fmt, "service_requests", body)


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(
    service_request_id: str,
    fmt: Format,
    db: DbSession,
    locale: Locale,
    *,
    jurisdiction_id: str | None = None,
    extensions: bool = False,
) -> Response:
    city = service.jurisdiction(db, jurisdiction_id)
    case = service.one_request(db, city, service_request_id)
    body = service.requests_out(db, [case], locale=locale, extensions=extensions)
    return respond(fmt, "service_requests", body)


@router.get("/tokens/{token}.{fmt}")
def get_token(
    token: str, fmt: Format, db: DbSession, jurisdiction_id: str | None = None
) -> Response:
    city = service.jurisdiction(db, jurisdiction_id)
    case = service.request_for_token(db, city, token)
    body = TokenOut(service_request_id=case.number, token=token)
    return respond(fmt, "service_requests", [body])


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown_path(rest: str) -> Response:
    """Any other path under /open311/v2 is a 404 in the spec's shape, not the platform's."""
    raise StarletteHTTPException(status_code=404)
