"""`civicgrid serve` with several processes: /metrics sums every process's counts, and
CIVICGRID_LOG_FORMAT=json writes masked JSON lines."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CIVICGRID = Path(sys.executable).parent / "civicgrid"
HEALTH_CALLS = 12


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer")


def _health_count(metrics: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("civicgrid_http_requests_total{")
        and 'route="/api/v1/health"' in line
        and 'status="200"' in line
    )


def test_two_processes_count_into_one_scrape_and_log_masked_json(database_url: str, tmp_path: Path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CIVICGRID_DATABASE_URL": database_url,
        "CIVICGRID_DATA_DIR": str(tmp_path),
        "CIVICGRID_LOG_FORMAT": "json",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [str(CIVICGRID), "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(f"{base}/api/v1/health", process)
        start = _health_count(httpx.get(f"{base}/metrics").text)
        for _ in range(HEALTH_CALLS):
            # A fresh connection each time, so the kernel may hand it to either process.
            assert httpx.get(f"{base}/api/v1/health").status_code == 200
        httpx.get(f"{base}/api/v1/cases/track", params={"number": "1", "phone": "13812345678"})
        scrapes = [_health_count(httpx.get(f"{base}/metrics").text) for _ in range(4)]
    finally:
        process.send_signal(signal.SIGINT)
        output, errors = process.communicate(timeout=30)

    assert process.returncode == 0, errors.decode()
    assert all(total == start + HEALTH_CALLS for total in scrapes), (start, scrapes)
    assert (tmp_path / "metrics").is_dir()
    lines = [line for line in (output + errors).decode().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any("/api/v1/cases/track" in record["message"] for record in records)
    assert {"asctime", "levelname", "name", "message"} <= set(records[0])
    assert "13812345678" not in "\n".join(lines)
