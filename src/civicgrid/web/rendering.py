"""What every page shares: the templates, the bundles' URLs, the page strings, the header's
navigation, the turn-away rule and the language switch; the routes live in pages.py and
the other page modules beside it."""

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from civicgrid.alarms.roles import DEVICE_KEEPERS
from civicgrid.analytics.roles import DASHBOARD_VIEWERS, INDICATOR_VIEWERS
from civicgrid.auth.models import Role
from civicgrid.auth.roles import ADMIN_ROLES, STAFF_ROLES
from civicgrid.auth.scope import Actor
from civicgrid.demo.filling import FillProgress, fill_progress
from civicgrid.diagnosis.roles import ANALYSIS_VIEWERS
from civicgrid.fieldwork.roles import WORKER_ROLES
from civicgrid.i18n import DEFAULT_LOCALE, LANG_COOKIE, catalogue, normalise_locale, translate
from civicgrid.sources.roles import SOURCE_ADMINS
from civicgrid.web.security import csrf_token

WEB_DIR = Path(__file__).parent
DIST_DIR = WEB_DIR / "static" / "dist"
ONE_YEAR = 365 * 24 * 3600
PAGE_PREFIX = "page."

templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=True)
)
# The administration page: the platform's settings, and the devices their keepers look after.
ADMIN_PAGE_ROLES = ADMIN_ROLES | DEVICE_KEEPERS


def page_strings(locale: str, *, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Every page string for the browser's scripts, zh-CN filling any gap in `locale`.

    `extra` adds other catalogue prefixes a page shows, such as case status names.
    """
    prefixes = (PAGE_PREFIX, *extra)
    merged = {**catalogue(DEFAULT_LOCALE), **catalogue(normalise_locale(locale))}
    return {key: value for key, value in merged.items() if key.startswith(prefixes)}


def named_choices(locale: str, prefix: str) -> list[tuple[str, str]]:
    """(code, name) for every code the catalogue names under `prefix`, in catalogue order:
    the choices a form offers by name where the API takes the code."""
    strings = page_strings(locale, extra=(prefix,))
    return [
        (key.removeprefix(prefix), text) for key, text in strings.items() if key.startswith(prefix)
    ]


def asset(name: str) -> str:
    """A bundle file's URL, versioned by its build time so browsers drop an old bundle.

    A missing bundle still gets its URL: the page renders, only the map stays empty.
    """
    path = DIST_DIR / name
    url = f"/static/dist/{name}"
    return f"{url}?v={int(path.stat().st_mtime)}" if path.is_file() else url


# The staff pages in the header, each with the roles it is for (None: every signed-in user).
NAVIGATION = (
    ("/command", "page.nav.command", DASHBOARD_VIEWERS),
    ("/desk", "page.nav.desk", None),
    ("/", "page.nav.map", None),
    ("/registry", "page.nav.registry", None),
    ("/mediation", "page.nav.mediation", None),
    ("/indicators", "page.nav.indicators", INDICATOR_VIEWERS),
    ("/analysis", "page.nav.analysis", ANALYSIS_VIEWERS),
    ("/sources", "page.nav.sources", SOURCE_ADMINS),
    ("/field", "page.nav.field", WORKER_ROLES),
    ("/fieldwork", "page.nav.fieldwork", STAFF_ROLES),
    ("/admin", "page.nav.admin", ADMIN_PAGE_ROLES),
)
# A role with more links than fit a 1366 px header finds these under 更多 (More).
LESS_USED = frozenset({"/analysis", "/sources", "/fieldwork", "/field"})
NAV_FITS = 7


def staff_header(actor: Actor, locale: str) -> dict[str, Any]:
    """What every staff page's header shows: who is signed in, and the pages their role uses.

    Past `NAV_FITS` links the less used ones fold under 更多, so an administrator's
    header fits a 1366 px screen without scrolling sideways.
    """
    links = [
        (path, label) for path, label, roles in NAVIGATION if roles is None or actor.role in roles
    ]
    folded = [link for link in links if link[0] in LESS_USED] if len(links) > NAV_FITS else []
    return {
        "username": actor.display_name or actor.username,
        "role_label": translate(f"page.role.{actor.role}", locale),
        "nav": [link for link in links if link not in folded],
        "nav_more": folded,
    }


def turned_away(
    request: Request, actor: Actor, roles: frozenset[Role] | None = None
) -> Response | None:
    """Where a visitor goes instead: sign-in when not signed in, the workbench when the
    page is not for their role; None when they may stay."""
    if not signed_in(actor):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        signing_in = "/login" if here == "/" else f"/login?{urlencode({'next': here})}"
        return with_language(request, RedirectResponse(signing_in, status_code=303))
    if roles is not None and actor.role not in roles:
        return with_language(request, RedirectResponse("/desk", status_code=303))
    return None


def signed_in(actor: Actor) -> bool:
    # Pages are for people: an integration key or a bearer token is not a page session.
    return actor.kind == "user"


def render_page(
    request: Request, name: str, locale: str, *, status_code: int = 200, **context: Any
) -> Response:
    def t(message_id: str, **params: Any) -> str:
        return translate(message_id, locale, **params)

    if "nav" in context:
        context["demo_fill"] = _demo_still_filling(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"locale": locale, "t": t, "asset": asset, "csrf": csrf_token(request), **context},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )
    return with_language(request, response)


def _demo_still_filling(request: Request) -> FillProgress | None:
    """On staff pages, how far the demo's year of cases has come while it fills in the
    background (`make demo`), so nobody takes a half-filled year's figures for the year."""
    with request.app.state.sessions() as db:
        progress = fill_progress(db)
    return progress if progress is not None and not progress.finished else None


def with_language(request: Request, response: Response) -> Response:
    """`?lang=` on any page is the language switch: remember the choice in a cookie."""
    chosen = request.query_params.get("lang")
    if chosen:
        response.set_cookie(
            LANG_COOKIE, normalise_locale(chosen), max_age=ONE_YEAR, path="/", samesite="lax"
        )
    return response
