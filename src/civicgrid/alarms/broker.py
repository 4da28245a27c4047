"""The MQTT broker's side of device security: mosquitto's password and ACL files.

Devices authenticate to the broker with per-device credentials: the user name is
the device code, the password its device key. The broker checks them against
the password file written here from the stored key hashes (already in
mosquitto's `$7$` format, see `device_keys`), and its ACL lets each device
publish only under its own code. So a message on `<root>/<code>/alarms` can only
come from the device `<code>`, and the listener trusts the topic's code.

A Frigate server gets an account of its own (`FrigateSource`) that may publish
only under its topic prefix (`frigate/…`); the listener reads Frigate's events,
reviews and snapshots there and maps each camera name to a registered device.
"""

import getpass
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.device_keys import hash_key
from civicgrid.alarms.models import Device, DeviceStatus
from civicgrid.errors import Invalid

DEFAULT_PORT = 1883
ALARMS = "alarms"
HEARTBEAT = "heartbeat"
READINGS = "readings"
# Unacknowledged messages the broker sends the listener at once (mosquitto's default is 20).
# The readings handler acknowledges only after a Parquet file is in place, a batch of
# messages at a time, so it needs room for a whole batch in flight.
MAX_INFLIGHT = 1000
# Messages the broker holds per client beyond those in flight (default 1000): above this a
# broker drops QoS 1 messages, so a burst of readings must fit.
MAX_QUEUED = 1_000_000


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker listens and the listener's own account on it."""

    host: str
    port: int
    username: str
    password: str = ""


def broker_address(url: str) -> BrokerAddress:
    """mqtt://user:password@host:port, as CIVICGRID_MQTT_URL gives it."""
    if not url:
        raise Invalid("mqtt_url_missing")
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as error:
        raise Invalid("mqtt_url_invalid") from error
    if parts.scheme != "mqtt" or not parts.hostname or not parts.username or not parts.password:
        raise Invalid("mqtt_url_invalid")
    return BrokerAddress(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username),
        password=unquote(parts.password),
    )


@dataclass(frozen=True)
class FrigateSource:
    """A Frigate server's broker account and the topic prefix it publishes under."""

    username: str
    password: str
    prefix: str = "frigate"


def frigate_topic_filters(prefix: str) -> list[str]:
    """What the listener takes from Frigate: events, reviews and snapshots per camera and label."""
    return [f"{prefix}/events", f"{prefix}/reviews", f"{prefix}/+/+/snapshot"]


def topic_filters(root: str) -> list[str]:
    return [f"{root}/+/{ALARMS}", f"{root}/+/{HEARTBEAT}", f"{root}/+/{READINGS}"]


def password_lines(
    db: Session, listener: BrokerAddress, frigate: FrigateSource | None = None
) -> list[str]:
    """The listener's account, Frigate's, and every enabled device's (not a disabled one)."""
    devices = db.execute(
        select(Device.code, Device.key_hash)
        .where(Device.status != DeviceStatus.DISABLED.value)
        .order_by(Device.code)
    )
    accounts = [f"{listener.username}:{hash_key(listener.password)}"]
    if frigate is not None:
        accounts.append(f"{frigate.username}:{hash_key(frigate.password)}")
    return accounts + [f"{code}:{key_hash}" for code, key_hash in devices]


def acl_text(listener_user: str, root: str, frigate: FrigateSource | None = None) -> str:
    """The listener reads every device's topics; `%u` lets each device write only its own.

    Frigate's account reads and writes under its prefix alone (it also listens
    there for its own `…/set` commands); the listener only reads what it takes.
    """
    lines = [f"user {listener_user}"]
    lines += [f"topic read {topic}" for topic in topic_filters(root)]
    if frigate is not None:
        lines += [f"topic read {topic}" for topic in frigate_topic_filters(frigate.prefix)]
        lines += ["", f"user {frigate.username}", f"topic readwrite {frigate.prefix}/#"]
    lines += ["", f"pattern write {root}/%u/{ALARMS}", f"pattern write {root}/%u/{HEARTBEAT}"]
    lines += [f"pattern write {root}/%u/{READINGS}"]
    return "\n".join(lines) + "\n"


def config_text(folder: Path, address: BrokerAddress) -> str:
    """A whole mosquitto.conf for one machine: loopback by default, nobody anonymous.

    `user` keeps a broker started as root from dropping to the `mosquitto` account,
    which could not read these private files. The listener acknowledges a batch
    at a time, so the broker may keep many messages in flight to it, and holds a
    storm's worth queued for it rather than dropping them (mosquitto's defaults,
    20 and 1000, would cut a batch short and drop alarms sent during a restart).
    """
    return (
        f"listener {address.port} {address.host}\n"
        "allow_anonymous false\n"
        f"password_file {folder / 'passwords'}\n"
        f"acl_file {folder / 'acl'}\n"
        f"max_inflight_messages {MAX_INFLIGHT}\n"
        f"max_queued_messages {MAX_QUEUED}\n"
        "persistence true\n"
        f"persistence_location {folder / 'data'}/\n"
        f"user {getpass.getuser()}\n"
    )


def write_broker_files(
    db: Session,
    folder: Path,
    address: BrokerAddress,
    root: str,
    frigate: FrigateSource | None = None,
) -> int:
    """mosquitto.conf, passwords and acl in `folder` (private); returns the devices written.

    Run again after devices change and send the broker SIGHUP to reload them.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / "data").mkdir(exist_ok=True, mode=0o700)
    lines = password_lines(db, address, frigate)
    _private_write(folder / "passwords", "\n".join(lines) + "\n")
    _private_write(folder / "acl", acl_text(address.username, root, frigate))
    _private_write(folder / "mosquitto.conf", config_text(folder, address))
    return len(lines) - 1 - (frigate is not None)


def _private_write(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)
