"""Browser fixtures: the app on a live local port, and Debian's Chromium driven by Playwright.

Playwright's own browser downloads are never used: machines here reach no
download host, and the Chromium that Debian packages is what the Makefile installs.
"""

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.factories import OWN_DISTRICT, PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "src" / "civicgrid" / "web" / "static" / "dist" / "map.js"
ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(reason: str) -> None:
    """Skip on a developer's machine; under CI a missing prerequisite is a failure."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-deps.sh)")
    if not BUNDLE.is_file():
        pytest.fail(
            f"{BUNDLE.relative_to(REPO)} is missing: build the web bundle first "
            "(npm ci --no-audit --no-fund && npm run build)"
        )
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only browser tests need it

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """The test app served by uvicorn on a free loopback port, in a background thread."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh browser profile that prefers Chinese, as the platform's users' browsers do."""
    context = browser.new_context(
        base_url=live_server,
        locale="zh-CN",
        viewport={"width": 1366, "height": 800},
        reduced_motion="reduce",  # no fades: screenshots show the finished page
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def window(browser: Any, live_server: str) -> Iterator[Any]:
    """A new browser window (its own cookies) for each person taking part."""
    contexts: list[Any] = []

    def open_window(**options: Any) -> Any:
        context = browser.new_context(base_url=live_server, locale="zh-CN", **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield open_window
    for context in contexts:
        context.close()


@pytest.fixture
def handler(db: Session) -> str:
    auth_service.create_department(
        db, code="530502-urban", name="城管局", kind="urban_management", region_code=OWN_DISTRICT
    )
    auth_service.create_user(
        db,
        username="handler",
        password=PASSWORD,
        role=Role.DEPARTMENT_HANDLER,
        scope_code=OWN_DISTRICT,
        department_code="530502-urban",
    )
    db.commit()
    return "handler"
