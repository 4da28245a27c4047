"""The FastAPI application: one factory that mounts every domain's router."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import text
from starlette.datastructures import State

from civicgrid import __version__
from civicgrid.admin.api import router as admin_router
from civicgrid.alarms.api import alarms_router, cameras_router, devices_router
from civicgrid.alarms.readings_api import readings_router
from civicgrid.alarms.scenes_api import router as scene_rules_router
from civicgrid.alarms.sos_api import router as sos_router
from civicgrid.analytics.api import router as analytics_router
from civicgrid.auth.api import router as auth_router
from civicgrid.auth.deps import DbSession
from civicgrid.body_limit import BodyLimit, BodyTooLarge, body_too_large
from civicgrid.cases.api import router as cases_router
from civicgrid.cases.api import rules_router, supervisions_router
from civicgrid.cases.desk_api import field_router as field_cases_router
from civicgrid.cases.desk_api import router as desk_intake_router
from civicgrid.cases.live import router as live_router
from civicgrid.cases.photos_api import router as photos_router
from civicgrid.cases.points_api import router as case_points_router
from civicgrid.cases.public_api import router as case_feedback_router
from civicgrid.cases.saved_filters_api import router as saved_filters_router
from civicgrid.cases.service import prepare_intake
from civicgrid.categories.api import router as categories_router
from civicgrid.components.api import router as components_router
from civicgrid.consult.api import router as consult_router
from civicgrid.db import create_db_engine, database_kind, make_session_factory, upgrade_database
from civicgrid.diagnosis.api import router as analysis_router
from civicgrid.disputes.api import router as disputes_router
from civicgrid.errors import install_error_handlers
from civicgrid.fieldwork.api import router as fieldwork_router
from civicgrid.geo.api import router as geo_router
from civicgrid.geo.service import GridIndex
from civicgrid.geo.tiles_api import router as tiles_router
from civicgrid.hotspots.api import router as hotspots_router
from civicgrid.metrics import install_metrics
from civicgrid.notify.api import router as notify_router
from civicgrid.open311.api import router as open311_router
from civicgrid.registry.api import router as registry_router
from civicgrid.registry.import_api import router as registry_files_router
from civicgrid.registry.sealing import cipher_for
from civicgrid.resources.api import router as resources_router
from civicgrid.roster.api import router as roster_router
from civicgrid.safeplaces.api import router as safe_places_router
from civicgrid.settings import Settings, get_settings
from civicgrid.sources.api import router as sources_router
from civicgrid.throttle import Throttle
from civicgrid.web.analysis_pages import router as analysis_pages_router
from civicgrid.web.apidocs import router as apidocs_router
from civicgrid.web.installable import router as installable_router
from civicgrid.web.pages import router as pages_router
from civicgrid.web.password_pages import install_password_gate
from civicgrid.web.password_pages import router as password_pages_router
from civicgrid.web.security import install_security
from civicgrid.web.sheets import router as sheets_router

STATIC_DIR = Path(__file__).parent / "web" / "static"
log = logging.getLogger(__name__)


class HealthOut(BaseModel):
    status: str
    database: str
    version: str


@asynccontextmanager
async def _prepared(app: FastAPI) -> AsyncIterator[None]:
    """Intake's look-ups built before the server listens (uvicorn opens its socket after this)."""
    with app.state.sessions() as db:
        await run_in_threadpool(prepare_intake, db, app.state.grid_index)
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app on its database, upgrading the schema first."""
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_prepared,
        title="civicgrid",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # our own page, from packaged assets: web/apidocs.py
        redoc_url=None,
    )
    bind(app, settings)
    install_error_handlers(app)
    install_password_gate(app)
    app.add_exception_handler(BodyTooLarge, body_too_large)
    app.add_middleware(BodyLimit, settings=settings)
    install_security(app)
    install_metrics(app)
    _mount(app)
    return app


def bind(app: FastAPI, settings: Settings) -> None:
    """Point the app at the database and data folder of `settings` (upgrading the schema
    first), with look-ups and throttles of its own: everything an app holds that depends
    on where it runs, so that an app built once can be pointed at another database of
    the same deployment's settings (the test suite does so for each test: building the
    routes' dependency analysis anew costs far more than a test). The state is new, so
    nothing made on first use for the earlier database (the live hub, the readings'
    pipeline) survives."""
    engine = create_db_engine(settings.effective_database_url)
    upgrade_database(engine)
    app.state = State()
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.grid_index = GridIndex()
    app.state.registry_cipher = cipher_for(settings)
    app.state.throttle = Throttle(settings)


def _mount(app: FastAPI) -> None:
    app.include_router(auth_router)
    app.include_router(geo_router)
    app.include_router(tiles_router)
    # Before the cases router: its /{number} would otherwise take /track.
    app.include_router(case_feedback_router)
    app.include_router(case_points_router)
    app.include_router(saved_filters_router)
    app.include_router(cases_router)
    app.include_router(desk_intake_router)
    app.include_router(field_cases_router)
    app.include_router(categories_router)
    app.include_router(notify_router)
    app.include_router(supervisions_router)
    app.include_router(photos_router)
    app.include_router(open311_router)
    app.include_router(analytics_router)
    app.include_router(live_router)
    app.include_router(rules_router)
    app.include_router(registry_router)
    app.include_router(registry_files_router)
    app.include_router(fieldwork_router)
    app.include_router(disputes_router)
    app.include_router(consult_router)
    app.include_router(analysis_router)
    app.include_router(hotspots_router)
    app.include_router(safe_places_router)
    app.include_router(sources_router)
    app.include_router(resources_router)
    app.include_router(roster_router)
    app.include_router(admin_router)
    app.include_router(devices_router)
    app.include_router(alarms_router)
    app.include_router(scene_rules_router)
    app.include_router(cameras_router)
    app.include_router(readings_router)
    app.include_router(sos_router)
    app.include_router(components_router)
    app.include_router(pages_router)
    app.include_router(password_pages_router)
    app.include_router(analysis_pages_router)
    app.include_router(sheets_router)
    app.include_router(installable_router)
    app.include_router(apidocs_router)
    app.add_api_route("/api/v1/health", health, methods=["GET"], response_model=HealthOut)
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def health(db: DbSession) -> HealthOut:
    """Liveness with the database actually asked, so a dead database shows."""
    db.execute(text("SELECT 1"))
    bind = db.get_bind()
    kind = database_kind(bind.engine if hasattr(bind, "engine") else bind)  # type: ignore[arg-type]
    return HealthOut(status="ok", database=kind, version=__version__)
