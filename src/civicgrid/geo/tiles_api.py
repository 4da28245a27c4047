"""The base map's tiles from the MBTiles file named by CIVICGRID_TILE_MBTILES.

Open to everyone, like the pages' scripts: the resident's report page draws the
same map before anyone signs in, and a tile shows streets, never cases.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from civicgrid.errors import NotFound
from civicgrid.geo.basemap import read_tile

router = APIRouter(prefix="/tiles", tags=["geo"])

CACHE = "public, max-age=86400"
# Web maps stop at zoom 30 (a tile of a few centimetres); x and y are below 2**z.
MAX_ZOOM = 30
Zoom = Annotated[int, Path(ge=0, le=MAX_ZOOM)]
Column = Annotated[int, Path(ge=0, lt=2**MAX_ZOOM)]


@router.get("/{z}/{x}/{y}.{extension}", response_class=Response)
def get_tile(z: Zoom, x: Column, y: Column, extension: str, request: Request) -> Response:
    """One tile in the web's z/x/y numbering; 404 where the file has none."""
    tile = read_tile(request.app.state.settings.tile_mbtiles, z, x, y, extension)
    if tile is None:
        raise NotFound("tile_not_found")
    headers = {"Cache-Control": CACHE}
    if tile.gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(tile.data, media_type=tile.media_type, headers=headers)
