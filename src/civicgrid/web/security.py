"""What every response tells the browser, and the check that stops cross-site writes.

Headers: a Content-Security-Policy that lets only the platform's own bundles run
(no inline script, no plug-ins, no framing, no <base> rewriting), images from the
platform, data:/blob: and the configured tile server; nosniff, Referrer-Policy,
X-Frame-Options; HSTS in production only (a development server speaks plain HTTP).
The API's Swagger page is one of the platform's pages (web/apidocs.py) under the same policy.

CSRF: a write carried by the session cookie (or the sign-in form, which makes one)
must come from a page of this origin (Origin, else Referer) and carry a token bound
to the cookie: the X-CSRF-Token header from the fetch helper, or the csrf_token field
of a plain HTML form. Bearer tokens and API keys are not sent by browsers on their
own, so those requests are exempt. The token is an HMAC of the session cookie (or,
before sign-in, of a random pre-session cookie) under the secret key: a page on
another port of the same host can neither read nor compute it.
"""

import base64
import hashlib
import hmac
import html
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicgrid.alarms.streams import allowed_origins
from civicgrid.auth.deps import API_KEY_HEADER, SESSION_COOKIE
from civicgrid.errors import error_body, request_locale
from civicgrid.i18n import translate
from civicgrid.settings import Settings

CSRF_COOKIE = "civicgrid_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
# Where a fresh pre-session anchor waits for the response that sets its cookie.
ANCHOR_STATE = "csrf_new_anchor"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Pages that post a plain form without a session cookie yet: signing in makes one.
FORM_SIGN_IN_PATHS = frozenset({"/login"})
# The password grant reads only its form and hands the token to the caller alone (another
# site cannot read the answer); it never looks at the cookie, so a cookie riding along
# (the API docs page's "Authorize") is no reason to refuse it.
TOKEN_GRANT_PATHS = frozenset({"/api/v1/auth/token"})
FORM_TYPE = "application/x-www-form-urlencoded"
# Sign-in and sign-out forms are a few hundred bytes; a bigger form body is not ours.
MAX_FORM_BYTES = 64 * 1024
HSTS = "max-age=31536000"
FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
DEFAULT_PORTS = {"http": 80, "https": 443}

log = logging.getLogger(__name__)
Refusal = Callable[[Scope, Receive, Send], Awaitable[None]]


def install_security(app: FastAPI) -> None:
    """Mount the headers and the CSRF check on the app (outside its routes)."""
    settings: Settings = app.state.settings
    app.add_middleware(SecurityMiddleware, settings=settings)


def same_site_path(target: str | None) -> str:
    """Where a sign-in may send the user on: a path of this site, else the home page.

    `//host`, `/\\host` (browsers read both as another host), a scheme or control
    characters make it somewhere else: an open redirect would lend our name to phishing.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


def csrf_token(request: Request) -> str:
    """The token a page hands its scripts and forms; makes a pre-session anchor if needed."""
    anchor = request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE)
    if not anchor:
        anchor = getattr(request.state, ANCHOR_STATE, None) or secrets.token_urlsafe(32)
        setattr(request.state, ANCHOR_STATE, anchor)
    return _sign(request.app.state.settings.secret_key, anchor)


def page_policy(settings: Settings) -> str:
    """The pages' Content-Security-Policy: only the platform's own script, ever.

    Cameras' live views are HLS played through Media Source Extensions: the player
    fetches playlists and segments from the configured video platforms (connect-src)
    and hands the video element a blob: URL (media-src). Only those origins are
    added, each exactly (no wildcard, no scheme-wide source), and the player runs
    without a worker, so worker-src stays at 'self'.
    """
    images = " ".join(
        [
            "'self'",
            "data:",
            "blob:",
            *_tile_sources(settings.tile_url),
            *_tile_sources(settings.tile_labels_url),
        ]
    )
    streams = allowed_origins(settings.stream_origins)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            " ".join(["media-src 'self' blob:", *streams]),
            " ".join(["connect-src 'self'", *streams]),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityMiddleware:
    """Pure ASGI, so the live case stream is never buffered."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.headers = {**FIXED_HEADERS, "Content-Security-Policy": page_policy(settings)}
        if settings.cookie_secure:
            self.headers["Strict-Transport-Security"] = HSTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared with the routes' request.state (see csrf_token)
        request = Request(scope)
        if _cookie_write(request):
            refusal, receive = await self._check(request, receive)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, self._sender(scope, send))

    def _sender(self, scope: Scope, send: Send) -> Send:
        async def sender(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                anchor = scope.get("state", {}).get(ANCHOR_STATE)
                if anchor:
                    headers.append("set-cookie", self._anchor_cookie(anchor))
            await send(message)

        return sender

    def _anchor_cookie(self, anchor: str) -> str:
        response = Response()
        response.set_cookie(
            CSRF_COOKIE,
            anchor,
            path="/",
            httponly=True,
            samesite="strict",
            secure=self.settings.cookie_secure,
        )
        return response.headers["set-cookie"]

    async def _check(self, request: Request, receive: Receive) -> tuple[Refusal | None, Receive]:
        """None when the write may go on, with a receive that replays any body read here."""
        if not _same_origin(request):
            return self._refuse(request, "cross-origin"), receive
        anchor = request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE)
        given = request.headers.get(CSRF_HEADER)
        if given is None and _content_type(request) == FORM_TYPE:
            body, receive = await _read_form(receive)
            given = _form_token(body)
        if not anchor or not given:
            return self._refuse(request, "no token"), receive
        expected = _sign(self.settings.secret_key, anchor)
        if not hmac.compare_digest(expected.encode(), given.encode()):
            return self._refuse(request, "wrong token"), receive
        return None, receive

    def _refuse(self, request: Request, why: str) -> Refusal:
        log.info("refused a cookie write (%s) on %s %s", why, request.method, request.url.path)
        locale = request_locale(request)
        message = translate("error.csrf_refused", locale)
        response: Response
        if request.url.path.startswith("/api/"):
            response = JSONResponse(error_body("csrf_refused", message), status_code=403)
        else:
            page = f'<!doctype html><html lang="{locale}"><meta charset="utf-8"><title>403</title>'
            response = HTMLResponse(f"{page}<p>{html.escape(message)}</p></html>", status_code=403)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        return response


def _cookie_write(request: Request) -> bool:
    """A write a browser could be made to send on its own: with the session cookie, or the
    sign-in form; never one that names its own bearer token or API key."""
    if request.method in SAFE_METHODS or request.url.path in TOKEN_GRANT_PATHS:
        return False
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if (scheme.lower() == "bearer" and token) or request.headers.get(API_KEY_HEADER):
        return False
    return SESSION_COOKIE in request.cookies or request.url.path in FORM_SIGN_IN_PATHS


def _same_origin(request: Request) -> bool:
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return False
    return _origin(claimed) == _origin(str(request.url))


def _origin(url: str) -> str:
    """scheme://host:port with the default port written out, so equal origins compare equal."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return ""
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _tile_sources(tile_url: str) -> list[str]:
    """The tile server as a CSP source: `{s}.tile.example.org` becomes `*.tile.example.org`;
    a host templated elsewhere allows its scheme; a path on this server needs nothing."""
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return []
    host = re.sub(r"^\{[^}]*\}\.", "*.", parts.netloc)
    if "{" in host or "}" in host:
        return [f"{parts.scheme}:"]
    return [f"{parts.scheme}://{host}"]


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _read_form(receive: Receive) -> tuple[bytes, Receive]:
    """The form body (up to MAX_FORM_BYTES) and a receive that hands the same body on."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return b"", receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def _form_token(body: bytes) -> str | None:
    values = parse_qs(body.decode("ascii", "replace")).get(CSRF_FIELD)
    return values[0] if values else None


def _sign(secret: str, anchor: str) -> str:
    digest = hmac.new(secret.encode(), b"csrf:" + anchor.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
