"""Request bodies bounded while they stream in, before anything reads or parses them.

A pure ASGI middleware: it counts the bytes the server hands over and stops the
request once they pass the limit, so a 100 MB JSON body costs at most the limit
in memory, never a parse. A declared Content-Length past the limit is refused
before a byte is read. File uploads (multipart forms) and case reports, which
carry their photos as base64, get the larger upload limit.
"""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicgrid.errors import error_body, request_locale
from civicgrid.i18n import translate
from civicgrid.settings import Settings

# POST paths whose JSON carries photos or many reports at once.
UPLOAD_PATHS = frozenset({"/api/v1/cases", "/api/v1/cases/batch"})
MEGABYTE = 1024 * 1024


class BodyTooLarge(HTTPException):
    """Raised from `receive` mid-stream: an HTTPException, so the route's body reader passes
    it on instead of calling it a parse error, and the app's handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.limit = limit

    def message(self, locale: str) -> str:
        return translate("error.request_too_large", locale, limit_mb=f"{self.limit / MEGABYTE:g}")


class BodyLimit:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.request_max_bytes = settings.request_max_bytes
        self.upload_max_bytes = settings.upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope)
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            response = refusal(Request(scope), BodyTooLarge(limit))
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)

    def _limit_for(self, scope: Scope) -> int:
        multipart = _header(scope, b"content-type").startswith("multipart/form-data")
        if multipart or (scope["method"] == "POST" and scope["path"] in UPLOAD_PATHS):
            return self.upload_max_bytes
        return self.request_max_bytes


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1")).strip().lower()
    return ""


async def body_too_large(request: Request, exc: Exception) -> JSONResponse:
    """The app's handler for a body that outgrew its limit while a route was reading it."""
    assert isinstance(exc, BodyTooLarge)
    return refusal(request, exc)


def refusal(request: Request, exc: BodyTooLarge) -> JSONResponse:
    body = error_body("request_too_large", exc.message(request_locale(request)))
    # The rest of the body is never read: the connection cannot carry another request.
    return JSONResponse(body, status_code=413, headers={"Connection": "close"})
