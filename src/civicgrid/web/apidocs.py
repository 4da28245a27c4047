"""The API's reference page, served from the platform's own copy of Swagger UI.

FastAPI's built-in page loads Swagger UI and its icon from a public CDN, so on a
centre's intranet it was blank. This page uses the bundle built from the
swagger-ui-dist package (frontend/src/api-docs.js) and runs under the same
Content-Security-Policy as every other page: no inline script, no outside host.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from civicgrid.auth.deps import Locale
from civicgrid.i18n import translate
from civicgrid.web.rendering import asset, templates

DOCS_PATH = "/api/v1/docs"
OPENAPI_PATH = "/api/v1/openapi.json"

router = APIRouter(include_in_schema=False)


@router.get(DOCS_PATH)
def api_docs(request: Request, locale: Locale) -> Response:
    def t(message_id: str, **params: Any) -> str:
        return translate(message_id, locale, **params)

    return templates.TemplateResponse(
        request,
        "api-docs.html",
        {"locale": locale, "t": t, "asset": asset, "config": {"openapiUrl": OPENAPI_PATH}},
    )


@router.get("/docs")
def docs_elsewhere() -> Response:
    """Where people type the docs by habit (FastAPI's default path)."""
    return RedirectResponse(DOCS_PATH, status_code=307)
