"""kill -9 during concurrent intake loses no acknowledged case and makes no second one.

The real server (`civicgrid serve`) takes reports from a crowd of anonymous
reporters, each report with its own Idempotency-Key, and is killed with
SIGKILL in the middle of the burst, restarted and killed again. Afterwards
every report the server acknowledged is in the database exactly once, every
key sent again answers with the case it made the first time (reports cut off
mid-flight either made their case once or make it now), the case history's
hash chain verifies and SQLite's own integrity check is clean.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from civicgrid.cases.models import Case
from tests.factories import OWN_GRID, City, run

CIVICGRID = Path(sys.executable).parent / "civicgrid"
REPORTERS = 16
CYCLES = 3
# Each burst is cut after this many new acknowledgements (or this many seconds), so every
# kill lands with reports in flight however fast the machine is.
ACKNOWLEDGED_PER_BURST = 40
MAX_BURST_SECONDS = 20.0
GENEROUS = "100000/minute"


@dataclass
class Ledger:
    """What the reporters saw: the case each acknowledged key made, and keys cut off mid-flight."""

    acknowledged: dict[str, str] = field(default_factory=dict)
    cut_off: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The server's environment: the test database, its own data folder, open intake."""
    return {
        **os.environ,
        "CIVICGRID_DATABASE_URL": database_url,
        "CIVICGRID_DATA_DIR": str(tmp_path / "var"),
        "CIVICGRID_REPORT_LIMITS_PER_ADDRESS": GENEROUS,
    }


class Server:
    """One `civicgrid serve` process on a fixed port, started and killed at will."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(CIVICGRID), "serve", "--port", str(self.port), "--workers", "1"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"the server did not come up: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    running = Server(server_env, tmp_path / "server.log")
    yield running
    running.stop()


def body_for(city: City, key: str) -> dict[str, object]:
    lng, lat = city.point_in(OWN_GRID)
    return {"description": f"井盖缺失（{key}）", "channel": "resident", "lng": lng, "lat": lat}


def send(client: httpx.Client, city: City, key: str) -> httpx.Response:
    return client.post(
        "/api/v1/cases", json=body_for(city, key), headers={"Idempotency-Key": key}, timeout=30
    )


def reporter(server: Server, city: City, name: str, ledger: Ledger, stop: threading.Event) -> None:
    """Report until told to stop or the server goes away; note what each key came to."""
    with httpx.Client(base_url=server.url) as client:
        count = 0
        while not stop.is_set():
            key = f"{name}-{count}"
            count += 1
            try:
                response = send(client, city, key)
            except httpx.TransportError:
                with ledger.lock:
                    ledger.cut_off.add(key)
                return
            with ledger.lock:
                if response.status_code == 201:
                    ledger.acknowledged[key] = response.json()["number"]
                else:
                    ledger.refused.append(f"{key}: {response.status_code} {response.text[:200]}")


def burst_and_kill(server: Server, city: City, cycle: int, ledger: Ledger) -> None:
    stop = threading.Event()
    threads = [
        threading.Thread(target=reporter, args=(server, city, f"c{cycle}r{n}", ledger, stop))
        for n in range(REPORTERS)
    ]
    before = len(ledger.acknowledged)
    deadline = time.monotonic() + MAX_BURST_SECONDS
    for thread in threads:
        thread.start()
    while (
        len(ledger.acknowledged) - before < ACKNOWLEDGED_PER_BURST and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)


def test_killing_the_server_mid_intake_loses_and_doubles_no_acknowledged_case(
    server: Server, city: City, db: Session, database_url: str, cli_env: Path
):
    began = time.monotonic()
    ledger = Ledger()
    for cycle in range(CYCLES):
        server.start()
        burst_and_kill(server, city, cycle, ledger)
    server.start()

    with httpx.Client(base_url=server.url) as client:
        replayed = {key: send(client, city, key) for key in ledger.acknowledged}
        finished = {key: send(client, city, key) for key in ledger.cut_off}
    server.stop()

    assert ledger.refused == []
    # Not vacuous: reports were acknowledged, and each kill cut some off mid-flight.
    assert len(ledger.acknowledged) >= CYCLES
    assert len(ledger.cut_off) >= CYCLES
    assert {key: (r.status_code, r.json()["number"]) for key, r in replayed.items()} == {
        key: (200, number) for key, number in ledger.acknowledged.items()
    }
    assert all(response.status_code in {200, 201} for response in finished.values())
    counted = select(Case.idempotency_key, func.count()).group_by(Case.idempotency_key)
    stored = {str(key): count for key, count in db.execute(counted).all()}
    duplicated = sorted(key for key, count in stored.items() if count > 1)
    lost = sorted(set(ledger.acknowledged) - set(stored))
    assert duplicated == []
    assert lost == []
    assert set(stored) == set(ledger.acknowledged) | ledger.cut_off
    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output
    if database_url.startswith("sqlite"):
        with sqlite3.connect(make_url(database_url).database or "") as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    print(
        f"crash: {CYCLES} kill -9 cycles, {len(ledger.acknowledged)} acknowledged, "
        f"{len(ledger.cut_off)} cut off mid-flight, {len(lost)} lost, {len(duplicated)} "
        f"duplicated, {time.monotonic() - began:.1f} s"
    )
