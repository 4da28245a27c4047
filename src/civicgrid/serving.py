"""The web server as the command line starts it, shared by `serve` and the demo's `--serve`
so that neither command group imports the other."""

from collections.abc import Callable

from civicgrid.alarms import cli as alarms_cli
from civicgrid.alarms.broker import BrokerAddress
from civicgrid.db import create_db_engine, make_session_factory, upgrade_database
from civicgrid.settings import get_settings

STARTUP_GRACE_SECONDS = 60


def run_server(
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    with_worker: bool,
    mqtt: BrokerAddress | None = None,
    hold_analysis: Callable[[], bool] | None = None,
) -> None:
    """The server until it is stopped; with the worker, also the MQTT listener on `mqtt`
    (default: CIVICGRID_MQTT_URL, when set). The worker archives and analyses only while
    `hold_analysis` answers no (the demo's cases still filling)."""
    import uvicorn  # noqa: PLC0415

    from civicgrid.logs import server_log_config  # noqa: PLC0415
    from civicgrid.metrics import prepare_multiprocess  # noqa: PLC0415
    from civicgrid.registry.sealing import cipher_for  # noqa: PLC0415
    from civicgrid.worker import start_background  # noqa: PLC0415

    settings = get_settings()
    # Before uvicorn starts the processes, so that each counts into the shared folder.
    prepare_multiprocess(settings.data_dir, workers or settings.workers)
    # Production without registry keys stops here with one line, not a server traceback.
    cipher_for(settings)
    engine = create_db_engine(settings.effective_database_url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    interval = settings.worker_interval_seconds
    background = (
        start_background(sessions, interval=interval, hold_analysis=hold_analysis)
        if with_worker
        else None
    )
    listener = alarms_cli.listener_beside_server(sessions, settings, mqtt) if with_worker else None
    try:
        # Each process builds its own app (and grid index) from the factory; the schema
        # is already current, so their start-up migrations have nothing to do.
        uvicorn.run(
            "civicgrid.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers or settings.workers,
            # A process answers the supervisor's ping only once it has imported the app; on
            # a busy host that took longer than uvicorn's 5 s, and it killed them in a loop.
            timeout_worker_healthcheck=STARTUP_GRACE_SECONDS,
            log_level="info",
            log_config=server_log_config(settings),
        )
    finally:
        if background is not None:
            background.stop()
        if listener is not None:
            listener.stop()
        engine.dispose()
