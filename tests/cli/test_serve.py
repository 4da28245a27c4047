"""`civicgrid serve` as an operator runs it: several processes, masked logs, a clean stop."""

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
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    if process.poll() is not None:
        _, errors = process.communicate()
        raise AssertionError(f"the server stopped ({process.returncode}): {errors.decode()}")
    raise AssertionError("the server did not answer within 90 s")


def test_two_processes_answer_log_no_phone_numbers_and_stop_on_sigint(
    database_url: str, tmp_path: Path
):
    port = free_port()
    env = {
        **os.environ,
        "CIVICGRID_DATABASE_URL": database_url,
        "CIVICGRID_DATA_DIR": str(tmp_path),
    }
    command = [str(CIVICGRID), "serve", "--port", str(port), "--workers", "2", "--with-worker"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/api/v1/health", process)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        tracked = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/cases/track",
            params={"number": "5305022026010100001", "phone": "13812345678"},
        )
        assert tracked.status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        output, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors.decode()
    assert b"Traceback" not in errors
    logged = (output + errors).decode()
    assert "/api/v1/cases/track" in logged
    assert "13812345678" not in logged
    assert "138****5678" in logged
