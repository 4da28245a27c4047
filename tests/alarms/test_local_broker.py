"""The broker `make demo` and the MQTT tests start: Debian's mosquitto, ours alone.

It runs only while we need it, a port held by another program is refused with
a message that says what to do, and a broker an earlier run left behind (the
server killed with SIGKILL) is ended by the next start instead of blocking it.
"""

import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicgrid.alarms.local_broker import PID_FILE, start_local_broker
from civicgrid.errors import Conflict
from tests.factories import local_broker

ROOT = "civicgrid/devices"


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    return "State:\tZ" not in status


def test_a_stopped_broker_leaves_no_process_and_frees_its_port(db: Session, tmp_path: Path):
    broker = local_broker(db, tmp_path / "broker", root=ROOT)
    pid, port = broker.process.pid, broker.address.port
    assert accepts(port)
    assert (tmp_path / "broker" / PID_FILE).read_text().split()[0] == str(pid)
    broker.stop()
    assert broker.process.poll() is not None
    assert not running(pid)
    assert not accepts(port)
    assert not (tmp_path / "broker" / PID_FILE).exists()


def test_a_port_held_by_another_program_is_refused_with_a_clear_message(
    db: Session, tmp_path: Path
):
    local_broker(db, tmp_path / "probe", root=ROOT).stop()  # skips without mosquitto
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        with pytest.raises(Conflict) as refused:
            start_local_broker(db, tmp_path / "broker", root=ROOT, port=port)
    assert refused.value.code == "mqtt_port_taken"
    message = refused.value.message("en")
    assert f"127.0.0.1:{port}" in message
    assert "CIVICGRID_MQTT_URL" in message
    assert "--no-devices" in message
    assert f"127.0.0.1:{port}" in refused.value.message("zh-CN")


def test_a_broker_left_behind_by_a_killed_run_is_ended_by_the_next_start(
    db: Session, tmp_path: Path
):
    folder = tmp_path / "broker"
    left = local_broker(db, folder, root=ROOT)
    port = left.address.port
    # Its starter was killed: the pid file names a process that is gone.
    gone = subprocess.Popen(["true"])
    gone.wait()
    (folder / PID_FILE).write_text(f"{left.process.pid}\n{gone.pid}\n")
    again = start_local_broker(db, folder, root=ROOT, port=port)
    try:
        assert left.process.wait(10) is not None
        assert again.process.poll() is None
        assert accepts(port)
    finally:
        again.stop()
    assert not running(left.process.pid)
    assert not running(again.process.pid)


def test_the_broker_of_a_demo_still_running_is_left_alone(db: Session, tmp_path: Path):
    folder = tmp_path / "broker"
    serving = subprocess.Popen(["sleep", "30"])  # the demo that started it, still serving
    broker = local_broker(db, folder, root=ROOT)
    try:
        (folder / PID_FILE).write_text(f"{broker.process.pid}\n{serving.pid}\n")
        with pytest.raises(Conflict) as refused:
            start_local_broker(db, folder, root=ROOT, port=broker.address.port)
        assert refused.value.code == "mqtt_port_taken"
        assert broker.process.poll() is None
    finally:
        broker.stop()
        serving.kill()
        serving.wait()


def test_each_start_gives_the_listener_a_new_password(db: Session, tmp_path: Path):
    first = local_broker(db, tmp_path / "one", root=ROOT)
    first.stop()
    second = local_broker(db, tmp_path / "two", root=ROOT)
    second.stop()
    assert first.address.password != second.address.password
