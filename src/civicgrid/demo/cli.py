"""`civicgrid demo`: build the demo city, its accounts and device fleet, and serve it."""

import secrets
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.console import (
    console_actor,
    database,
    domain_errors_exit,
    say,
    shared_data_dir,
)
from civicgrid.db import create_db_engine, make_session_factory, upgrade_database
from civicgrid.errors import Conflict, Invalid
from civicgrid.serving import run_server
from civicgrid.settings import get_settings

if TYPE_CHECKING:
    from civicgrid.demo.fleet import FleetDevice
    from civicgrid.demo.service import DemoParameters

# Beside demo-accounts.json in the data folder: the fleet's keys and its broker's files.
DEMO_DEVICES_FILE = "demo-devices.json"
DEMO_BROKER_DIR = "mosquitto-demo"
# The simulator publishes as the demo's Frigate server under this broker account.
DEMO_FRIGATE_USER = "civicgrid-demo-frigate"


@click.command()
@click.option("--city", "city_code", default="530500", show_default=True, help="Prefecture code.")
@click.option(
    "--grids", "grid_count", default=2000, show_default=True, type=click.IntRange(50, 60000)
)
@click.option("--seed", default=20261123, show_default=True, type=int)
@click.option(
    "--cases",
    default=20000,
    show_default=True,
    type=click.IntRange(0, 200000),
    help="Cases over the past year, each walked through the workflow (0: none).",
)
@click.option("--rebuild", is_flag=True, help="Empty the database and build again.")
@click.option("--shared-data", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option(
    "--no-devices",
    is_flag=True,
    help="No device fleet, broker or simulator (a machine without mosquitto).",
)
@click.option(
    "--serve",
    "then_serve",
    is_flag=True,
    help="Then serve it with the worker, a broker and the simulated fleet (make demo).",
)
@domain_errors_exit
def demo(
    *,
    city_code: str,
    grid_count: int,
    seed: int,
    cases: int,
    rebuild: bool,
    shared_data: Path | None,
    no_devices: bool,
    then_serve: bool,
) -> None:
    """Build the demo city (real districts, generated communities and grids), its accounts
    and its device fleet; with --serve, run it."""
    settings = get_settings()
    if then_serve and not no_devices and not settings.mqtt_url:
        from civicgrid.alarms.local_broker import require_room_for_broker  # noqa: PLC0415

        require_room_for_broker(settings.data_dir / DEMO_BROKER_DIR)
    wanted = _build_demo_city(
        city_code=city_code,
        grid_count=grid_count,
        seed=seed,
        cases=cases,
        rebuild=rebuild,
        shared_data=shared_data,
    )
    fleet = [] if no_devices else _demo_fleet(wanted.seed)
    if then_serve:
        _serve_demo(fleet, wanted.seed, shared_data_dir(shared_data))
    else:
        _fill_now(shared_data_dir(shared_data))


def _build_demo_city(
    *,
    city_code: str,
    grid_count: int,
    seed: int,
    cases: int,
    rebuild: bool,
    shared_data: Path | None,
) -> "DemoParameters":
    """The city as asked, built unless the database already holds exactly it."""
    from civicgrid.demo import service as demo_service  # noqa: PLC0415

    settings = get_settings()
    shared = shared_data_dir(shared_data)
    wanted = demo_service.DemoParameters(city_code, grid_count, seed, shared is not None, cases)
    accounts_path = settings.data_dir / "demo-accounts.json"
    engine = create_db_engine(settings.effective_database_url)
    upgrade_database(engine)
    with make_session_factory(engine)() as db:
        existing = demo_service.existing_demo(db)
        if existing == wanted and not rebuild:
            say("cli.demo_exists", path=accounts_path)
            engine.dispose()
            return wanted
        if (existing is not None or _has_regions(db)) and not rebuild:
            raise Conflict("demo_database_not_empty")
    if rebuild:
        demo_service.reset_database(engine)
    with make_session_factory(engine)() as db:
        try:
            result = demo_service.build_demo(
                db,
                wanted,
                shared_data=shared,
                accounts_path=accounts_path,
            )
        except ValueError as error:
            raise Invalid("demo_city_unknown", city=city_code, detail=str(error)) from None
    engine.dispose()
    for note in result.notes:
        click.echo(f"  - {note}")
    say("cli.demo_built", counts=_format_counts(result.region_counts), path=result.accounts_path)
    return wanted


def _fill_now(shared: Path | None) -> None:
    """The year of cases the demo still lacks, here and now (`civicgrid demo` alone)."""
    from civicgrid.demo.filling import fill_cases, progress_printer  # noqa: PLC0415
    from civicgrid.demo.service import messages_path  # noqa: PLC0415
    from civicgrid.geo.service import GridIndex  # noqa: PLC0415

    with database() as db:
        result = fill_cases(
            db, GridIndex(), messages_path=messages_path(shared), progress=progress_printer()
        )
    if result is None:
        return
    cases = result.cases
    say(
        "cli.demo_cases",
        cases=cases.cases,
        actions=cases.actions,
        seconds=f"{cases.seconds:.1f}",
        statuses=_format_counts(dict(cases.by_status.most_common())),
    )
    say("sources.demo_imported", count=sum(result.external.values()), sources=len(result.external))


def _demo_fleet(seed: int) -> "list[FleetDevice]":
    """Register the fleet's missing devices and keep every key for the simulator."""
    from civicgrid.demo.fleet import (  # noqa: PLC0415
        ensure_demo_rules,
        ensure_fleet,
        load_keys,
        save_keys,
    )
    from civicgrid.geo.service import GridIndex  # noqa: PLC0415

    path = get_settings().data_dir / DEMO_DEVICES_FILE
    with database() as db:
        fleet = ensure_fleet(
            db, console_actor(), grid_index=GridIndex(), seed=seed, known_keys=load_keys(path)
        )
        ensure_demo_rules(db, console_actor())
        db.commit()
    save_keys(path, fleet)
    say("demo.fleet_ready", devices=len(fleet), path=path)
    return fleet


def _serve_demo(fleet: "list[FleetDevice]", seed: int, shared: Path | None) -> None:
    """The server with its worker and, while the year of cases fills, the filler beside it;
    with a fleet, a broker (ours unless one is configured), the listener on it and the
    simulator publishing as the devices, all stopped with it. Our own broker also has an
    account for the simulator's Frigate server (a fresh password each run); a configured
    broker has the one its keeper gave Frigate, if any."""
    from civicgrid.alarms.broker import FrigateSource, broker_address  # noqa: PLC0415
    from civicgrid.alarms.local_broker import start_local_broker  # noqa: PLC0415
    from civicgrid.demo.simulator import simulate  # noqa: PLC0415

    settings = get_settings()
    with ExitStack() as cleanup:
        hold_analysis = _fill_beside_server(cleanup, shared)
        if not fleet:
            run_server(with_worker=True, hold_analysis=hold_analysis)
            return
        prefix = settings.frigate_topic_prefix
        if settings.mqtt_url:
            address = broker_address(settings.mqtt_url)
            frigate = None
            if settings.frigate_mqtt_user:
                user, password = settings.frigate_mqtt_user, settings.frigate_mqtt_password
                frigate = FrigateSource(user, password, prefix)
        else:
            frigate = FrigateSource(DEMO_FRIGATE_USER, secrets.token_urlsafe(24), prefix)
            with database() as db:
                broker = start_local_broker(
                    db,
                    settings.data_dir / DEMO_BROKER_DIR,
                    root=settings.mqtt_topic_root,
                    frigate=frigate,
                )
            cleanup.callback(broker.stop)
            address = broker.address
            say("demo.broker_started", host=address.host, port=address.port)
        root = settings.mqtt_topic_root
        simulator = simulate(address, fleet, root=root, seed=seed, frigate=frigate)
        cleanup.callback(simulator.stop)
        say("demo.simulator_started", devices=len(fleet))
        run_server(with_worker=True, mqtt=address, hold_analysis=hold_analysis)


def _fill_beside_server(cleanup: ExitStack, shared: Path | None) -> Callable[[], bool] | None:
    """Start filling what the year of cases lacks, stopped with the server. The answer tells
    the worker to hold the archive and the monthly diagnosis while the filler runs: a
    month reported from half its cases would be stored as final."""
    from civicgrid.demo.filling import fill_progress, start_filling, stop_filling  # noqa: PLC0415
    from civicgrid.demo.service import messages_path  # noqa: PLC0415

    with database() as db:
        progress = fill_progress(db)
    if progress is None or progress.finished:
        return None
    filler = start_filling(messages_path(shared))
    cleanup.callback(stop_filling, filler)
    say("demo_fill.started", done=progress.done, total=progress.total)
    return filler.is_alive


def _has_regions(db: Session) -> bool:
    from civicgrid.geo.models import Region  # noqa: PLC0415

    return db.scalar(select(Region.code).limit(1)) is not None


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{level} {count}" for level, count in counts.items())
