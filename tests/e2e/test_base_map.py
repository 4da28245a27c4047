"""In a real browser: the maps draw the base map from the platform's own MBTiles file."""

from pathlib import Path
from typing import Any

import pytest

from civicgrid.settings import Settings
from tests.e2e.helpers import sign_in
from tests.factories import People, write_mbtiles

pytestmark = pytest.mark.e2e

SIZES = {"laptop": (1366, 768), "big": (1920, 1080), "phone": (390, 844)}


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    mbtiles = write_mbtiles(tmp_path / "streets.mbtiles", {(0, 0, 0): "#e8e0d0"})
    return settings.model_copy(update={"tile_mbtiles": mbtiles})


def tile_requests(page: Any) -> list[str]:
    asked: list[str] = []
    page.on(
        "request", lambda request: asked.append(request.url) if "/tiles/" in request.url else None
    )
    return asked


@pytest.mark.parametrize("size", list(SIZES))
def test_the_command_map_and_the_grid_map_ask_the_platform_for_their_tiles(
    page: Any, people: People, artifacts: Path, live_server: str, size: str
) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    asked = tile_requests(page)
    sign_in(page, people.leader.username, people.leader.password)
    page.goto("/command")
    page.wait_for_selector("#centre[data-state='ready']")
    page.wait_for_selector("#command-map img.leaflet-tile", state="attached")
    assert asked
    assert all(url.startswith(f"{live_server}/tiles/") for url in asked)
    page.screenshot(path=str(artifacts / f"base-map-command-{size}.png"))

    asked.clear()
    page.goto("/")
    page.wait_for_selector("#map[data-state='ready']")
    page.wait_for_selector("#map img.leaflet-tile", state="attached")
    assert asked
    assert all(url.endswith(".png") for url in asked)
    page.screenshot(path=str(artifacts / f"base-map-grid-{size}.png"))
