"""The second pass over the faces (issue 14, "Found broken"): each defect a user met, as a
browser meets it, on the sizes the centre's screens and phones have."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SIZES = {"1366": (1366, 768), "1920": (1920, 1080), "390": (390, 844)}


def screenshot_sizes(page: Any, artifacts: Path, name: str) -> None:
    """The page as the centre's laptops, its wall screens and a phone show it."""
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts / f"faces-fix-{name}-{label}.png"), full_page=True)


def test_the_api_docs_render_offline_from_the_platforms_own_files(
    page: Any, live_server: str, artifacts: Path
):
    outside: list[str] = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_server) or route.request.url.startswith("data:")
            else (outside.append(route.request.url), route.abort())[1]
        ),
    )

    page.goto("/docs")

    assert page.url == f"{live_server}/api/v1/docs"
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("civicgrid", timeout=20_000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert outside == []
    screenshot_sizes(page, artifacts, "api-docs")
