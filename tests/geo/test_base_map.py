"""The base map: the MBTiles file the platform serves itself, and what the pages are told."""

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from civicgrid.geo.basemap import page_config
from civicgrid.settings import Settings
from tests.factories import write_mbtiles

# Around 保山 at zoom 12 (x 3225, y 1715 in the web's numbering), and its neighbour to the south.
TILES = {(12, 3225, 1715): "red", (12, 3225, 1716): "blue", (0, 0, 0): "white"}


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    mbtiles = write_mbtiles(tmp_path / "streets.mbtiles", TILES)
    return settings.model_copy(update={"tile_mbtiles": mbtiles})


def colour_of(body: bytes) -> object:
    return Image.open(io.BytesIO(body)).convert("RGB").getpixel((128, 128))


def test_a_tile_is_served_from_the_mbtiles_file_with_its_row_flipped(client: TestClient):
    north = client.get("/tiles/12/3225/1715.png")
    south = client.get("/tiles/12/3225/1716.png")
    assert north.status_code == south.status_code == 200
    assert north.headers["content-type"] == "image/png"
    assert "max-age" in north.headers["cache-control"]
    assert colour_of(north.content) == (255, 0, 0)
    assert colour_of(south.content) == (0, 0, 255)


def test_anyone_may_fetch_tiles_without_signing_in(client: TestClient):
    client.cookies.clear()
    assert client.get("/tiles/0/0/0.png").status_code == 200


@pytest.mark.parametrize(
    "path", ["/tiles/99/0/0.png", "/tiles/3/-1/0.png", "/tiles/3/0/1073741824.png"]
)
def test_a_tile_number_no_web_map_has_is_a_422(client: TestClient, path):
    assert client.get(path).status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/12/3225/1717.png",  # inside the pyramid, not in the file
        "/tiles/12/3225/1715.pbf",  # the file holds png
        "/tiles/12/3225/1715.exe",
        "/tiles/1/2/0.png",  # x beyond the zoom's side
        "/tiles/30/0/0.png",  # the deepest zoom a web map has
    ],
)
def test_a_tile_the_file_does_not_hold_is_404_with_a_chinese_message(client: TestClient, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "tile_not_found"
    assert "瓦片" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "path",
    ["/tiles/12/3225/..%2F..%2Fetc%2Fpasswd.png", "/tiles/12/../../etc/passwd", "/tiles/a/b/c.png"],
)
def test_a_path_that_is_not_three_numbers_reaches_no_file(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code in {404, 422}
    assert b"root:" not in response.content


def test_with_nothing_configured_the_maps_get_no_base_map(tmp_path: Path):
    assert page_config(Settings(data_dir=tmp_path))["tileUrl"] == ""


def test_pages_are_told_the_local_tiles_when_only_the_file_is_configured(tmp_path: Path):
    mbtiles = write_mbtiles(tmp_path / "streets.mbtiles", TILES)
    config = page_config(Settings(tile_mbtiles=mbtiles, tile_labels_url="/labels/{z}/{x}/{y}.png"))
    assert config["tileUrl"] == "/tiles/{z}/{x}/{y}.png"


def test_a_tianditu_template_reaches_the_pages_with_its_key_and_label_layer():
    vec = "https://t{s}.tianditu.gov.cn/vec_w/wmts?LAYER=vec&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
    cva = vec.replace("vec", "cva")
    config = page_config(
        Settings(tile_url=vec, tile_labels_url=cva, tile_subdomains="01234567", tile_key="k1")
    )
    assert config == {
        "tileUrl": vec,
        "tileLabelsUrl": cva,
        "tileSubdomains": "01234567",
        "tileKey": "k1",
        "tileAttribution": "",
    }
