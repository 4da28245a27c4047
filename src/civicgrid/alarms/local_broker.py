"""A mosquitto of our own on this machine, for the demo and the tests: one implementation.

`make demo` needs a broker when none is configured (CIVICGRID_MQTT_URL), and
the MQTT tests need one per test on a free port. Both start Debian's
`mosquitto` with the files `broker.write_broker_files` writes (the enabled
devices' keys, the listener's own account with a fresh password, the ACL) in a
private folder, wait until it accepts connections, and stop it at the end.

The broker's pid and its starter's are kept in the folder, so a broker left
behind by a run that was killed (SIGKILL, a closed terminal) is recognised by
its command line and stopped by the next start instead of holding the port.
A port held by anything else, a running demo's broker included, is refused
with a message naming it.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.alarms.broker import DEFAULT_PORT, BrokerAddress, FrigateSource, write_broker_files
from civicgrid.errors import Conflict, Invalid

LOOPBACK = "127.0.0.1"
LISTENER_USER = "civicgrid-listener"
PID_FILE = "mosquitto.pid"
LOG_FILE = "mosquitto.log"
START_SECONDS = 15.0
STOP_SECONDS = 10.0


def mosquitto_binary() -> str | None:
    """Debian installs it in /usr/sbin, which an ordinary user's PATH often lacks."""
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


@dataclass
class LocalBroker:
    """A running mosquitto we started; `stop` ends it and leaves nothing behind."""

    folder: Path
    address: BrokerAddress
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        _end(self.process)
        (self.folder / PID_FILE).unlink(missing_ok=True)

    def __enter__(self) -> "LocalBroker":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_local_broker(
    db: Session,
    folder: Path,
    *,
    root: str,
    port: int = DEFAULT_PORT,
    host: str = LOOPBACK,
    frigate: FrigateSource | None = None,
) -> LocalBroker:
    """mosquitto on host:port with the stored devices' keys; raises when it cannot run there."""
    binary = require_room_for_broker(folder, port=port, host=host)
    folder = folder.resolve()
    address = BrokerAddress(host, port, LISTENER_USER, secrets.token_urlsafe(24))
    write_broker_files(db, folder, address, root, frigate)
    with (folder / LOG_FILE).open("wb") as log:
        # The log goes to a file: a pipe nobody reads would fill and stall the broker.
        process = subprocess.Popen(
            [binary, "-c", str(folder / "mosquitto.conf")],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    # The broker's pid and ours: only a broker whose starter is gone is a leftover.
    (folder / PID_FILE).write_text(f"{process.pid}\n{os.getpid()}\n", encoding="utf-8")
    broker = LocalBroker(folder, address, process)
    try:
        _await_start(broker)
    except BaseException:
        broker.stop()
        raise
    return broker


def require_room_for_broker(folder: Path, *, port: int = DEFAULT_PORT, host: str = LOOPBACK) -> str:
    """mosquitto's path, once it is installed and the port is free (or held by our leftover,
    which is stopped); the demo asks before a long build rather than after it."""
    binary = mosquitto_binary()
    if binary is None:
        raise Invalid("mqtt_broker_not_installed")
    _reclaim(folder.resolve())
    if _accepts(host, port):
        raise Conflict("mqtt_port_taken", host=host, port=port)
    return binary


def _await_start(broker: LocalBroker) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if broker.process.poll() is not None:
            raise Invalid("mqtt_broker_failed", detail=_log_tail(broker.folder))
        if _accepts(broker.address.host, broker.address.port):
            return
        time.sleep(0.05)
    raise Invalid("mqtt_broker_failed", detail=_log_tail(broker.folder))


def _log_tail(folder: Path) -> str:
    try:
        lines = (folder / LOG_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return " / ".join(lines[-3:])


def _accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _reclaim(folder: Path) -> None:
    """Stop a broker an earlier run started with this folder's configuration and never stopped.

    A broker whose starter still runs (a demo being served) is left alone: its
    port then counts as taken.
    """
    pid_file = folder / PID_FILE
    try:
        pid, owner = (int(line) for line in pid_file.read_text(encoding="utf-8").split())
    except (OSError, ValueError):
        return
    if _alive(owner) and owner != os.getpid():
        return
    if _runs_our_config(pid, folder / "mosquitto.conf"):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    pid_file.unlink(missing_ok=True)


def _runs_our_config(pid: int, config: Path) -> bool:
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(config).encode() in arguments


def _alive(pid: int) -> bool:
    """A process that has exited but not been reaped (a zombie) counts as gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    return "State:\tZ" not in status


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
