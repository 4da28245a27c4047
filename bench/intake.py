"""End-to-end intake over HTTP: validate, locate, classify, route, persist, history row.

For each engine (SQLite, PostgreSQL) a fresh database gets the demo city at the
reference size (48,000 grids, no demo cases) through `civicgrid demo`, then the
real server (`civicgrid serve`, `--workers` processes, 1 by default) is started on
it and driven from this process with httpx:

* single: `--clients` concurrent anonymous residents, each POSTing one case at a
  time (points in GCJ-02, as phones send them) until `--single` cases are in;
* batch: two concurrent hotline importers POSTing `--batch-size` cases per
  request with the demo's integration key until `--batches` batches are in.

Latency is measured per request at the client. The server's peak resident
memory comes from /proc. As the obvious alternative, the same number of rows is
inserted into a bare table with no checks at all (one executemany on one
connection) on the same engine in the same run: the ratio says what the whole
intake costs over the raw write.

    .venv/bin/python bench/intake.py [--engines sqlite,postgresql] [--grids N]
        [--single N] [--clients N] [--batches N] [--batch-size N] [--pg-url URL] [--workers N]

Without `--pg-url` a throwaway cluster is started with scripts/pg.sh under
var/pg-bench-intake (port 54338) and stopped at the end.
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from databases import BenchPlace, fresh_database
from sqlalchemy import create_engine, select, text

from civicgrid.db import normalise_url
from civicgrid.divisions import Level
from civicgrid.geo.crs import Crs, from_wgs84
from civicgrid.geo.models import Region

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-intake"
PG_DIR = ROOT / "var" / "pg-bench-intake"
PG_PORT = "54338"
PLACE = BenchPlace("bench_intake", WORK, PG_DIR, PG_PORT)
SERVER_PORT = 8731
DESCRIPTIONS = (
    "小区门口井盖缺失，夜间行人容易踩空",
    "楼下烧烤店油烟扰民，晚上十一点后仍在营业",
    "人行道上有人长期占道经营，行人只能走机动车道",
    "路灯坏了一个多星期，晚上很黑",
    "邻居装修噪音从早上七点开始，影响休息",
    "河道里漂浮大量垃圾，有异味",
    "工地夜间施工，渣土车撒漏严重",
    "老旧小区电动车在楼道充电，存在消防隐患",
    "公司拖欠三个月工资，多次讨要无果",
    "两户邻居因排水问题发生争执，情绪激动",
)


@dataclass(frozen=True)
class Timing:
    cases: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.cases / self.seconds

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q))


@dataclass(frozen=True)
class EngineResult:
    engine: str
    single: Timing
    batch: Timing
    baseline_rate: float
    server_peak_mib: float
    stored: int
    # The machine's 1-minute load average when the HTTP runs ended: it is shared.
    load_average: float


def main() -> None:
    args = _arguments()
    WORK.mkdir(parents=True, exist_ok=True)
    _print_header(args)
    for engine in args.engines.split(","):
        with fresh_database(engine, args.pg_url, PLACE) as url:
            # Each engine's row as soon as it is measured: a later engine's failure keeps it.
            _print_row(_run_engine(engine, url, args))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--grids", type=int, default=48_000)
    parser.add_argument("--single", type=int, default=4_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    return parser.parse_args()


def _run_engine(engine: str, url: str, args: argparse.Namespace) -> EngineResult:
    data_dir = WORK / f"data-{engine}"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {
        **os.environ,
        "CIVICGRID_DATABASE_URL": url,
        "CIVICGRID_DATA_DIR": str(data_dir),
        "CIVICGRID_ENVIRONMENT": "development",
        # Every simulated resident posts from this one address: lift their budget.
        "CIVICGRID_REPORT_LIMITS_PER_ADDRESS": "1000000/minute",
    }
    print(f"[{engine}] building the demo city with {args.grids} grids", file=sys.stderr)
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "civicgrid"),
            "demo",
            "--grids",
            str(args.grids),
            "--cases",
            "0",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    api_key = json.loads((data_dir / "demo-accounts.json").read_text())["api_keys"][0]["key"]
    points = _points(url, args.single + args.batches * args.batch_size, args.seed)
    with _server(env, args.workers) as server:
        single = asyncio.run(_single(points[: args.single], args.clients))
        batch = asyncio.run(_batch(points[args.single :], args.batch_size, api_key))
        peak = _peak_mib(server.pid)
    load = os.getloadavg()[0]
    baseline = _baseline_rate(url, args.batches * args.batch_size)
    return EngineResult(engine, single, batch, baseline, peak, _stored(url), load)


def _points(url: str, count: int, seed: int) -> list[tuple[float, float]]:
    """Points inside grids (their centres, jittered a little), sent as GCJ-02."""
    engine = create_engine(normalise_url(url))
    with engine.connect() as connection:
        rows = connection.execute(
            select(Region.center_lng, Region.center_lat).where(Region.level == Level.GRID.value)
        ).all()
    engine.dispose()
    centres = [(lng, lat) for lng, lat in rows if lng is not None and lat is not None]
    rng = random.Random(seed)
    chosen = [rng.choice(centres) for _ in range(count)]
    lngs = np.array([lng + rng.uniform(-2e-4, 2e-4) for lng, _ in chosen])
    lats = np.array([lat + rng.uniform(-2e-4, 2e-4) for _, lat in chosen])
    gcj_lng, gcj_lat = from_wgs84(lngs, lats, Crs.GCJ02)
    return list(zip(map(float, gcj_lng), map(float, gcj_lat), strict=True))


@contextmanager
def _server(env: dict[str, str], workers: int) -> Iterator[subprocess.Popen[bytes]]:
    command = ["serve", "--port", str(SERVER_PORT), "--workers", str(workers)]
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "civicgrid"), *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_healthy()
        yield server
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def _wait_healthy() -> None:
    # The server builds its grid index and loads the classifier before it listens: on a
    # machine shared with other work that took over two minutes at 48,000 grids.
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{_base()}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not come up within 600 s")


def _base() -> str:
    return f"http://127.0.0.1:{SERVER_PORT}"


def _case(point: tuple[float, float], n: int) -> dict[str, object]:
    return {
        "description": DESCRIPTIONS[n % len(DESCRIPTIONS)],
        "channel": "resident",
        "lng": point[0],
        "lat": point[1],
        "crs": "gcj02",
    }


async def _single(points: list[tuple[float, float]], clients: int) -> Timing:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(len(points)):
        queue.put_nowait(n)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=_base(), limits=limits, timeout=60) as client:

        async def resident() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                began = time.perf_counter()
                response = await _post(
                    client, "/api/v1/cases", _case(points[n], n), {"Idempotency-Key": f"s{n}"}
                )
                latencies.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(resident() for _ in range(clients)))
        seconds = time.perf_counter() - began
    return Timing(len(points), seconds, latencies)


async def _batch(points: list[tuple[float, float]], size: int, api_key: str) -> Timing:
    batches = [points[start : start + size] for start in range(0, len(points), size)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(len(batches)):
        queue.put_nowait(n)
    latencies: list[float] = []
    headers = {"X-API-Key": api_key}
    async with httpx.AsyncClient(base_url=_base(), timeout=300, headers=headers) as client:

        async def importer() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                body = {
                    "cases": [
                        {
                            **_case(point, i),
                            "channel": "hotline_12345",
                            "idempotency_key": f"b{n}-{i}",
                        }
                        for i, point in enumerate(batches[n])
                    ]
                }
                began = time.perf_counter()
                response = await _post(client, "/api/v1/cases/batch", body, {})
                latencies.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(importer(), importer())
        seconds = time.perf_counter() - began
    return Timing(len(points), seconds, latencies)


async def _post(
    client: httpx.AsyncClient, path: str, body: object, headers: dict[str, str]
) -> httpx.Response:
    """POST, sent again once when the server closed a kept-alive connection under the
    client's feet (on a loaded machine a client can sit idle past uvicorn's 5 s keep-alive).
    Every report carries its idempotency key, so a second send never makes a second case;
    the latency counts from the first send."""
    try:
        return await client.post(path, json=body, headers=headers)
    except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
        return await client.post(path, json=body, headers=headers)


def _peak_mib(pid: int) -> float:
    """Peak resident memory of the server and every process it started (its workers)."""
    return sum(_own_peak_kib(each) for each in _process_tree(pid)) / 1024


def _process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(each for child in children for each in _process_tree(int(child)))]


def _own_peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _baseline_rate(url: str, count: int) -> float:
    """Rows per second of a bare insert: no validation, no locating, no history."""
    engine = create_engine(normalise_url(url))
    rows = [
        {
            "number": f"B{n:09d}",
            "description": DESCRIPTIONS[n % len(DESCRIPTIONS)],
            "lng": 99.1,
            "lat": 25.1,
        }
        for n in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_bare_cases"))
        connection.execute(
            text(
                "CREATE TABLE bench_bare_cases (id INTEGER PRIMARY KEY, number VARCHAR(24) UNIQUE,"
                " description TEXT, lng FLOAT, lat FLOAT)"
            )
        )
    began = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO bench_bare_cases (id, number, description, lng, lat)"
                " VALUES (:id, :number, :description, :lng, :lat)"
            ),
            [{"id": n, **row} for n, row in enumerate(rows)],
        )
    seconds = time.perf_counter() - began
    engine.dispose()
    return count / seconds


def _stored(url: str) -> int:
    engine = create_engine(normalise_url(url))
    with engine.connect() as connection:
        stored = int(connection.execute(text("SELECT count(*) FROM cases")).scalar_one())
    engine.dispose()
    return stored


def _print_header(args: argparse.Namespace) -> None:
    print(f"# Intake benchmark, {datetime.date.today()}")
    print()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};"
        f" {args.grids} grids; single: {args.single} cases from {args.clients} concurrent"
        f" clients; batch: {args.batches} × {args.batch_size} cases from 2 clients;"
        f" server processes: {args.workers}."
    )
    print()
    print(
        "| engine | single cases/s | single p50 ms | single p99 ms | batch cases/s"
        " | batch request p50 ms | bare insert rows/s | batch ÷ bare"
        " | server peak MiB (all processes) | cases stored | load average |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|", flush=True)


def _print_row(result: EngineResult) -> None:
    print(
        f"| {result.engine} | {result.single.rate:,.0f} | {result.single.percentile(50):.1f}"
        f" | {result.single.percentile(99):.1f} | {result.batch.rate:,.0f}"
        f" | {result.batch.percentile(50):,.0f} | {result.baseline_rate:,.0f}"
        f" | {result.batch.rate / result.baseline_rate:.3f}"
        f" | {result.server_peak_mib:.0f} | {result.stored:,} | {result.load_average:.1f} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
