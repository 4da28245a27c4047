"""`make demo` from a clean clone: time to the first signed-in page, and to the filled year.

Usage (from a checkout; the clone is of its committed HEAD):

    .venv/bin/python bench/demo_start.py [--cases 20000] [--port 8765] [--fill-timeout 3600]

Steps, each timed on its own, with the machine's load (`uptime`) beside each figure:

1. `git clone` of this checkout into a temporary folder (nothing built, no `.venv`,
   no `node_modules`, no `var`).
2. Setup: `make setup` there: a new virtual environment, `pip install` of the project's
   packages, `npm ci`, the front-end build and the division codes. Its time is mostly
   the package installs, fast with a warm package cache (as on this machine) and much
   slower on a machine that downloads them.
3. The platform's own start: `make demo` (its prerequisites are now up to date, so it
   goes straight to building the demo city and serving it) until the first page answers:
   `/login` answers 200, then a demo account signs in and the map page `/` answers 200
   naming the demo city (保山市).
4. The fill: until the `demo_fills` row says the year is filled (all cases walked and
   the external records imported), read from the demo's SQLite file; the staff page's
   banner is checked on the way.

The server, broker and filler are stopped at the end (SIGINT to `make demo`'s process
group, as Ctrl-C does). Uses port 8765 by default, not 8000, so a demo already running
on the machine is left alone; `--no-devices` when the broker's port 1883 is taken.
"""

import argparse
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CHECKOUT = Path(__file__).resolve().parents[1]
CITY_NAME = "保山市"
BANNER = "演示数据生成中"
BROKER_PORT = 1883


@dataclass
class Figures:
    cases: int
    steps: dict[str, float] = field(default_factory=dict)
    loads: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def mark(self, name: str, seconds: float) -> None:
        self.steps[name] = round(seconds, 1)
        self.loads[name] = load()
        print(f"{name}: {seconds:.1f} s (load {self.loads[name]})", flush=True)


def load() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fill-timeout", type=float, default=3600.0)
    parser.add_argument("--keep", action="store_true", help="Keep the clone afterwards.")
    args = parser.parse_args()
    figures = Figures(cases=args.cases)
    figures.loads["before"] = load()
    folder = Path(tempfile.mkdtemp(prefix="civicgrid-demo-start-"))
    clone = folder / "civicgrid"
    began = time.monotonic()
    run(["git", "clone", "--quiet", str(CHECKOUT), str(clone)], cwd=folder)
    figures.mark("clone", time.monotonic() - began)
    began = time.monotonic()
    run(["make", "setup"], cwd=clone)
    figures.mark("setup (make setup: venv, pip, npm ci, build, division codes)", elapsed(began))
    try:
        start_and_fill(clone, args, figures)
    finally:
        print(json.dumps(figures.__dict__, ensure_ascii=False, indent=2))
        if not args.keep:
            subprocess.run(["rm", "-rf", str(folder)], check=False)


def start_and_fill(clone: Path, args: argparse.Namespace, figures: Figures) -> None:
    env = {**os.environ, "CIVICGRID_PORT": str(args.port)}
    for name in ("CIVICGRID_DATABASE_URL", "CIVICGRID_DATA_DIR", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    command = ["make", "demo", f"DEMO_CASES={args.cases}"]
    if port_taken(BROKER_PORT):
        command.append("DEMO_FLAGS=--no-devices")
        figures.notes.append("port 1883 was taken: ran without the device fleet")
    log = (clone / "demo.log").open("w", encoding="utf-8")
    began = time.monotonic()
    demo = subprocess.Popen(
        command, cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_for(lambda: answers(f"{base}/login"), demo, timeout=900)
        figures.mark("start: /login answers", elapsed(began))
        with httpx.Client(base_url=base, timeout=60) as client:
            sign_in(client, clone / "var" / "demo-accounts.json")
            page = client.get("/")
            if page.status_code != 200 or CITY_NAME not in page.text:
                raise SystemExit(f"the map page answered {page.status_code} without {CITY_NAME}")
            figures.mark("start: first signed-in page (/ names 保山市)", elapsed(began))
            desk = client.get("/desk")
            figures.notes.append(f"/desk answered {desk.status_code}; banner: {banner(desk.text)}")
            wait_for(lambda: filled(clone), demo, timeout=args.fill_timeout, every=5.0)
            figures.mark("fill: the year of cases filled", elapsed(began))
            after = client.get("/desk")
            figures.notes.append(f"after the fill, banner on /desk: {BANNER in after.text}")
    finally:
        stop(demo)
        log.close()
        figures.notes.append(f"demo log: {tail(clone / 'demo.log')}")


def sign_in(client: httpx.Client, accounts_path: Path) -> None:
    accounts = json.loads(accounts_path.read_text(encoding="utf-8"))["accounts"]
    account = next(row for row in accounts if row["username"] == "dispatcher.city")
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/login").text)
    assert found is not None
    form = {
        "username": account["username"],
        "password": account["password"],
        "csrf_token": found.group(1),
    }
    client.post("/login", data=form, headers={"Origin": str(client.base_url).rstrip("/")})


def filled(clone: Path) -> bool:
    database = clone / "var" / "civicgrid.db"
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
            row = connection.execute(
                "SELECT done, total, finished_at FROM demo_fills ORDER BY id DESC LIMIT 1"
            ).fetchone()
    except sqlite3.Error:
        return False
    if row is not None:
        print(f"  filled {row[0]} / {row[1]} (load {load()})", flush=True)
    return row is not None and row[2] is not None


def banner(page: str) -> str:
    found = re.search(rf"{BANNER} [\d,]+/[\d,]+", page)
    return found.group(0) if found else "none"


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(
    check: Callable[[], bool],
    demo: subprocess.Popen[bytes],
    *,
    timeout: float,
    every: float = 0.25,
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if demo.poll() is not None:
            raise SystemExit(f"make demo ended with {demo.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {timeout:.0f} s")
        time.sleep(every)


def stop(demo: subprocess.Popen[bytes]) -> None:
    if demo.poll() is None:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()


def port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def run(command: list[str], *, cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, check=True, stdout=sys.stderr)


def elapsed(began: float) -> float:
    return time.monotonic() - began


def tail(path: Path, lines: int = 8) -> str:
    return " | ".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


if __name__ == "__main__":
    main()
