"""`civicgrid alarms …` commands: the MQTT listener and the broker's files."""

from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.alarms.broker import (
    BrokerAddress,
    FrigateSource,
    broker_address,
    topic_filters,
    write_broker_files,
)
from civicgrid.alarms.listener import CLIENT_ID, AlarmListener, RunningListener, start_listener
from civicgrid.console import database, domain_errors_exit, say, stop_on_signals
from civicgrid.db import create_db_engine, make_session_factory, upgrade_database
from civicgrid.errors import Invalid
from civicgrid.settings import Settings, get_settings


@click.group(name="alarms")
def group() -> None:
    """Devices and alarms (感知)."""


@group.command("listen")
@click.option(
    "--client-id", default=CLIENT_ID, show_default=True, help="MQTT client id; one listener per id."
)
@domain_errors_exit
def listen(client_id: str) -> None:
    """Take alarms, heartbeats and readings from the broker (CIVICGRID_MQTT_URL) until stopped."""
    import logging  # noqa: PLC0415
    import threading  # noqa: PLC0415

    settings = get_settings()
    address = broker_address(settings.mqtt_url)
    engine = create_db_engine(settings.effective_database_url)
    upgrade_database(engine)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    stop_on_signals(stop)
    root = settings.mqtt_topic_root
    say(
        "alarms.cli.listening",
        host=address.host,
        port=address.port,
        topics=", ".join(topic_filters(root)),
    )
    try:
        AlarmListener(
            make_session_factory(engine), address, root, client_id, settings.frigate_topic_prefix
        ).run(stop)
    finally:
        engine.dispose()
    say("alarms.cli.stopped")


@group.command("broker-files")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write them (default DATA_DIR/mosquitto).",
)
@domain_errors_exit
def broker_files(folder: Path | None) -> None:
    """Write mosquitto.conf, its password file (device keys) and ACL; rerun after device changes."""
    settings = get_settings()
    address = broker_address(settings.mqtt_url)
    folder = (folder or settings.data_dir / "mosquitto").resolve()
    with database() as db:
        count = write_broker_files(
            db, folder, address, settings.mqtt_topic_root, frigate_source(settings)
        )
    say("alarms.cli.broker_files", config=folder / "mosquitto.conf", devices=count)


def frigate_source(settings: Settings) -> FrigateSource | None:
    """Frigate's broker account from CIVICGRID_FRIGATE_MQTT_USER and _PASSWORD, if set."""
    if not settings.frigate_mqtt_user:
        return None
    if not settings.frigate_mqtt_password:
        raise Invalid("frigate_mqtt_password_missing")
    return FrigateSource(
        settings.frigate_mqtt_user, settings.frigate_mqtt_password, settings.frigate_topic_prefix
    )


def listener_beside_server(
    sessions: sessionmaker[Session], settings: Settings, address: BrokerAddress | None = None
) -> RunningListener | None:
    """`serve --with-worker` also listens for alarms when a broker is configured, and the
    demo on the broker it started (`address`)."""
    if address is None and not settings.mqtt_url:
        return None
    address = address or broker_address(settings.mqtt_url)
    return start_listener(
        sessions,
        address=address,
        root=settings.mqtt_topic_root,
        frigate_prefix=settings.frigate_topic_prefix,
    )
