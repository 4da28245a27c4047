"""What makes the field app and the SOS terminal installable on a phone: each one's web
manifest, service worker and icon, served beside its page.

Both apps follow one shape, so they are one table here rather than two sets of routes.
"""

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, Response

from civicgrid.auth.deps import Locale
from civicgrid.i18n import translate
from civicgrid.web.rendering import DIST_DIR, ONE_YEAR, templates


@dataclass(frozen=True)
class InstallableApp:
    name: str
    background_color: str
    theme_color: str

    @property
    def scope(self) -> str:
        return f"/{self.name}"


APPS = (
    InstallableApp("field", background_color="#f3f6fb", theme_color="#0b3d91"),
    InstallableApp("sos", background_color="#ffffff", theme_color="#b71c1c"),
)

router = APIRouter(include_in_schema=False)


def _manifest_route(app: InstallableApp) -> None:
    def manifest(locale: Locale) -> Response:
        """Its name in the user's language, its icon and where it starts."""
        body = {
            "name": translate(f"page.{app.name}.title", locale),
            "short_name": translate(f"page.{app.name}.short_name", locale),
            "lang": locale,
            "start_url": app.scope,
            "scope": app.scope,
            "display": "standalone",
            "background_color": app.background_color,
            "theme_color": app.theme_color,
            "icons": [{"src": f"{app.scope}/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
        }
        return JSONResponse(body, media_type="application/manifest+json")

    router.add_api_route(f"{app.scope}/manifest.webmanifest", manifest, methods=["GET"])


def _service_worker_route(app: InstallableApp) -> None:
    def service_worker() -> Response:
        """Served beside the app and allowed the app's own path as its scope, which it
        could not claim from below it (a worker controls only what lies under its folder)."""
        return FileResponse(
            DIST_DIR / f"{app.name}-sw.js",
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": app.scope},
        )

    router.add_api_route(f"{app.scope}/sw.js", service_worker, methods=["GET"])


def _icon_route(app: InstallableApp) -> None:
    def icon() -> Response:
        return Response(
            templates.get_template(f"{app.name}-icon.svg").render(),
            media_type="image/svg+xml",
            headers={"Cache-Control": f"max-age={ONE_YEAR}"},
        )

    router.add_api_route(f"{app.scope}/icon.svg", icon, methods=["GET"])


for _app in APPS:
    _manifest_route(_app)
    _service_worker_route(_app)
    _icon_route(_app)
