"""`civicgrid serve` as an operator runs it: migrate, serve from several processes, stop cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CIVICGRID = Path(sys.executable).parent / "civicgrid"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer")


def test_two_server_processes_with_the_worker_answer_and_stop_on_sigint(
    database_url: str, tmp_path: Path
):
    port = free_port()
    env = {
        **os.environ,
        "CIVICGRID_DATABASE_URL": database_url,
        "CIVICGRID_DATA_DIR": str(tmp_path),
    }
    command = [str(CIVICGRID), "serve", "--port", str(port), "--workers", "2", "--with-worker"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/api/v1/health", process)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors.decode()
    assert b"Traceback" not in errors
