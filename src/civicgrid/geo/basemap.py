"""The base map under the platform's own shapes: a tile server's template, or an MBTiles file.

Government intranets serve 天地图 (with a key) or tiles of their own; an air-gapped
centre has neither, so the platform can serve an MBTiles file itself at
`/tiles/{z}/{x}/{y}.png` (docs/base-map.md). With nothing configured the maps draw
the regions on a plain background, as before.
"""

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicgrid.settings import Settings

# Deeper than any tile pyramid; a request beyond it names no tile (and 2**z stays small).
MAX_ZOOM = 24
LOCAL_TILES = "/tiles/{z}/{x}/{y}."
FORMATS = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "pbf": ""}
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Tile:
    data: bytes
    media_type: str
    gzipped: bool


def page_config(settings: Settings) -> dict[str, Any]:
    """What every map page's script needs to draw the base map (see frontend/src/lib/basemap.js)."""
    url = settings.tile_url
    if not url and settings.tile_mbtiles is not None:
        url = LOCAL_TILES + raster_format(settings.tile_mbtiles)
    return {
        "tileUrl": url,
        "tileLabelsUrl": settings.tile_labels_url if url else "",
        "tileSubdomains": settings.tile_subdomains,
        "tileKey": settings.tile_key,
        "tileAttribution": settings.tile_attribution,
    }


def raster_format(path: Path) -> str:
    """The file's tile format from its metadata table; png when it does not say."""
    try:
        with closing(_open(path)) as connection:
            return _format(connection)
    except sqlite3.Error:
        return "png"


def _format(connection: sqlite3.Connection) -> str:
    row = connection.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
    value = str(row[0]).lower() if row else "png"
    return "jpg" if value == "jpeg" else value


def read_tile(path: Path | None, z: int, x: int, y: int, extension: str) -> Tile | None:
    """One tile in XYZ numbering (the web's), or None when the file has none there.

    MBTiles rows count from the south (TMS), so the row is flipped; a request for
    another format than the file holds names no tile.
    """
    if path is None or extension not in FORMATS or not 0 <= z <= MAX_ZOOM:
        return None
    side = 1 << z
    if not (0 <= x < side and 0 <= y < side):
        return None
    try:
        with closing(_open(path)) as connection:
            if _format(connection) != extension:
                return None
            row = connection.execute(
                "SELECT tile_data FROM tiles"
                " WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, side - 1 - y),
            ).fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    data = bytes(row[0])
    media_type = FORMATS[extension] or "application/x-protobuf"
    return Tile(data, media_type, gzipped=data.startswith(GZIP_MAGIC))


def _open(path: Path) -> sqlite3.Connection:
    """Read-only: the file is the operator's, and a missing one must not be created."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
