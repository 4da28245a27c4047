"""First render of every page on the demo city, in Debian's Chromium driven by Playwright.

A demo city (`civicgrid demo`, real 保山市 districts when ../shared is beside the
checkout, generated otherwise; `--grids` grids, `--cases` cases walked through the
real workflow) is built on SQLite under var/bench-pages and served by the real
server (`civicgrid serve`). Each page is opened `--runs` times by the demo account
of the role it is for, each time in a fresh tab of a signed-in browser, and timed
from the start of navigation to the moment the page shows its data (the page's
own `data-state="ready"` marker, or the load event for pages drawn on the
server). The moment is taken inside the page by a MutationObserver installed
before the page's own scripts, so the harness's polling adds nothing. The
command centre's ECharts panels load after its figures and map; the time they
are drawn is reported too. The sign-in page, which shows no data, is measured
the same way as the reference: the ratio says what a page's data costs over
serving any page at all.

    .venv/bin/python bench/pages.py [--grids N] [--cases N] [--runs N]
"""

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-pages"
OUT = ROOT / "bench" / "out" / "pages.json"
PORT = 8732
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@dataclass(frozen=True)
class PageSpec:
    path: str
    account: str  # a username prefix in demo-accounts.json; "" for anonymous
    ready: str  # a selector that appears once the data is shown; "" for the load event
    viewport: tuple[int, int] = (1366, 800)
    complete: str = ""  # a later selector: everything, charts included, is drawn


PAGES = (
    PageSpec("/login", "", ""),
    PageSpec("/report", "", "#resident-map[data-state='ready']", (390, 844)),
    PageSpec("/desk", "dispatcher.530", "#queue-table[data-state='ready']"),
    PageSpec(
        "/command",
        "leader",
        "#centre[data-state='ready']",
        (1920, 1080),
        complete="#centre[data-charts='ready']",
    ),
    PageSpec("/", "dispatcher.530", "#map[data-state='ready']"),
    PageSpec("/indicators", "leader", ""),
    PageSpec("/registry", "staff.", ""),
    PageSpec("/mediation", "mediator.", "#mediation[data-state='ready']"),
    PageSpec("/field", "worker.", "#field[data-state='ready']", (390, 844)),
    PageSpec("/admin", "admin", "#admin[data-state='ready']"),
)


def main() -> None:
    args = _arguments()
    env = {
        **os.environ,
        "CIVICGRID_DATA_DIR": str(WORK),
        "CIVICGRID_DATABASE_URL": f"sqlite:///{WORK / 'civicgrid.db'}",
        "CIVICGRID_ENVIRONMENT": "development",
    }
    _build_demo(env, args.grids, args.cases)
    accounts = json.loads((WORK / "demo-accounts.json").read_text())["accounts"]
    with _server(env), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        timings = {spec.path: _measure(browser, spec, accounts, args.runs) for spec in PAGES}
        browser.close()
    _report(timings, args)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=2000)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


def _build_demo(env: dict[str, str], grids: int, cases: int) -> None:
    """`civicgrid demo` skips a demo already built with the same parameters."""
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"building the demo city ({grids} grids, {cases} cases) if needed", file=sys.stderr)
    command = [str(ROOT / ".venv" / "bin" / "civicgrid"), "demo", "--grids", str(grids)]
    subprocess.run([*command, "--cases", str(cases)], env=env, check=True)


@contextmanager
def _server(env: dict[str, str]) -> Iterator[None]:
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "civicgrid"), "serve", "--port", str(PORT)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{_base()}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        yield
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def _base() -> str:
    return f"http://127.0.0.1:{PORT}"


def _account(accounts: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    return next(account for account in accounts if account["username"].startswith(prefix))


# Records, inside the page, when each watched selector first matches.
WATCH = """
window.__seenAt = {};
new MutationObserver(() => {
  for (const selector of %s) {
    if (!(selector in window.__seenAt) && document.querySelector(selector)) {
      window.__seenAt[selector] = performance.now();
    }
  }
}).observe(document, { attributes: true, subtree: true, childList: true });
"""


@dataclass(frozen=True)
class Timing:
    first: list[float]
    complete: list[float]


def _sign_in(context: Any, account: dict[str, Any]) -> Any:
    """The sign-in form as a browser posts it: with its page's CSRF token, from this origin."""
    form = context.request.get("/login").text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None, "the sign-in page carries no CSRF token"
    return context.request.post(
        "/login",
        form={
            "username": account["username"],
            "password": account["password"],
            "csrf_token": token.group(1),
        },
        headers={"Origin": _base()},
    )


def _measure(browser: Browser, spec: PageSpec, accounts: list[dict[str, Any]], runs: int) -> Timing:
    width, height = spec.viewport
    context = browser.new_context(
        base_url=_base(), locale="zh-CN", viewport={"width": width, "height": height}
    )
    context.set_default_timeout(30_000)
    watched = [selector for selector in (spec.ready, spec.complete) if selector]
    context.add_init_script(WATCH % json.dumps(watched))
    if spec.account:
        account = _account(accounts, spec.account)
        signed = _sign_in(context, account)
        assert signed.ok, signed.status
    first: list[float] = []
    complete: list[float] = []
    # One warm-up visit: the first ever request to a page compiles its template.
    for run in range(runs + 1):
        page = context.new_page()
        page.goto(spec.path, wait_until="load")
        for selector in watched:
            page.wait_for_selector(selector)
        load_ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        seen = page.evaluate("window.__seenAt")
        page.close()
        if run:
            first.append(seen[spec.ready] if spec.ready else load_ms)
            complete.append(seen[spec.complete] if spec.complete else first[-1])
    context.close()
    print(f"{spec.path:12s} median {statistics.median(first):7.0f} ms", file=sys.stderr)
    return Timing(first, complete)


def _report(timings: dict[str, Timing], args: argparse.Namespace) -> None:
    reference = statistics.median(timings["/login"].first)
    rows = {
        path: {
            "median_ms": round(statistics.median(timing.first), 1),
            "max_ms": round(max(timing.first), 1),
            "complete_median_ms": round(statistics.median(timing.complete), 1),
            "ratio_to_login": round(statistics.median(timing.first) / reference, 2),
        }
        for path, timing in timings.items()
    }
    result = {
        "grids": args.grids,
        "cases": args.cases,
        "runs": args.runs,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "pages": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print("| page | first render, median ms | max ms | all drawn, median ms | × sign-in page |")
    print("|---|---:|---:|---:|---:|")
    for path, row in rows.items():
        median, most, ratio = row["median_ms"], row["max_ms"], row["ratio_to_login"]
        done = row["complete_median_ms"]
        print(f"| {path} | {median:.0f} | {most:.0f} | {done:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
