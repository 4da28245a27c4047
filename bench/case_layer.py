"""The command map's first render with 20,000 open cases on it, in Debian's Chromium.

A demo city without cases (`civicgrid demo --cases 0`) is built on SQLite under
var/bench-case-layer, then `--cases` open cases are reported through the case
service (the real intake: numbers, routing, the hash chain) at points spread over the
city's grids, so all of them are open and drawn. The real server serves it; the
leader opens /command `--runs` times at 1920×1080 and the page's own markers are timed
as bench/pages.py does: the figures and areas drawn (`#centre[data-state=ready]`, the
first render) and the case layer drawn (`#centre[data-cases=ready]`: the points fetched,
indexed by supercluster and the clusters on the map).

    .venv/bin/python bench/case_layer.py [--cases 20000] [--runs 5]
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from pages import ARGS, CHROMIUM, PORT, WATCH, _account, _base, _sign_in
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, Submission, report_cases
from civicgrid.db import create_db_engine
from civicgrid.geo.service import GridIndex, grid_extent

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-case-layer"
READY = "#centre[data-state='ready']"
CASES_DRAWN = "#centre[data-cases='ready']"
BATCH = 500


def main() -> None:
    args = _arguments()
    env = {
        "CIVICGRID_DATA_DIR": str(WORK),
        "CIVICGRID_DATABASE_URL": f"sqlite:///{WORK / 'civicgrid.db'}",
        "CIVICGRID_ENVIRONMENT": "development",
    }
    WORK.mkdir(parents=True, exist_ok=True)
    _cli(env, "demo", "--grids", "2000", "--cases", "0")
    _fill(env["CIVICGRID_DATABASE_URL"], args.cases)
    accounts = json.loads((WORK / "demo-accounts.json").read_text())["accounts"]
    server = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--port", str(PORT)],
        env=_environment(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_server()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            first, drawn, points = _measure(browser, _account(accounts, "leader"), args.runs)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"cases on the map: {points}")
    median, most = statistics.median(first), max(first)
    print(f"first render (figures and areas), median {median:.0f} ms, max {most:.0f}")
    print(f"case layer drawn, median {statistics.median(drawn):.0f} ms, max {max(drawn):.0f}")


CLI = "import sys; from civicgrid.cli import main; sys.exit(main())"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


def _environment(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **env}


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-c", CLI, *args], env=_environment(env), check=True)


def _fill(url: str, wanted: int) -> None:
    """Report open cases until the city has `wanted` of them, spread over its grids."""
    engine = create_db_engine(url)
    reporter = Actor(kind="user", role=Role.DISPATCHER, scope_code="530500", username="bench")
    randomness = random.Random(14)
    with Session(engine) as db:
        have = db.scalar(select(func.count()).select_from(Case)) or 0
        extent = grid_extent(db)
        assert extent is not None, "the demo city has no grids"
        west, south, east, north = extent
        index = GridIndex()
        started = time.monotonic()
        while have < wanted:
            batch = [
                Submission(
                    Intake(
                        description="路面坑洼，影响通行",
                        channel="hotline_12345",
                        lng=randomness.uniform(west, east),
                        lat=randomness.uniform(south, north),
                    ),
                    None,
                )
                for _ in range(min(BATCH, wanted - have))
            ]
            report_cases(db, index, batch, actor=reporter)
            db.commit()
            have += len(batch)
            print(f"{have} cases ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    engine.dispose()


def _wait_for_server() -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{_base()}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")


def _measure(
    browser: Browser, account: dict[str, Any], runs: int
) -> tuple[list[float], list[float], str]:
    context = browser.new_context(
        base_url=_base(), locale="zh-CN", viewport={"width": 1920, "height": 1080}
    )
    context.set_default_timeout(60_000)
    context.add_init_script(WATCH % json.dumps([READY, CASES_DRAWN]))
    assert _sign_in(context, account).ok
    first: list[float] = []
    drawn: list[float] = []
    points = ""
    for run in range(runs + 1):  # one warm-up visit
        page = context.new_page()
        page.goto("/command", wait_until="load")
        page.wait_for_selector(CASES_DRAWN, state="attached")
        seen = page.evaluate("window.__seenAt")
        points = page.locator("#centre").get_attribute("data-case-points") or ""
        page.close()
        if run:
            first.append(seen[READY])
            drawn.append(seen[CASES_DRAWN])
    context.close()
    return first, drawn, points


if __name__ == "__main__":
    main()
