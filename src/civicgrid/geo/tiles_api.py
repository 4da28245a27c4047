"""The base map's tiles from the MBTiles file named by CIVICGRID_TILE_MBTILES.

Open to everyone, like the pages' scripts: the resident's report page draws the
same map before anyone signs in, and a tile shows streets, never cases.
"""

from fastapi import APIRouter, Request, Response

from civicgrid.errors import NotFound
from civicgrid.geo.basemap import read_tile

router = APIRouter(prefix="/tiles", tags=["geo"])

CACHE = "public, max-age=86400"


@router.get("/{z}/{x}/{y}.{extension}", response_class=Response)
def get_tile(z: int, x: int, y: int, extension: str, request: Request) -> Response:
    """One tile in the web's z/x/y numbering; 404 where the file has none."""
    tile = read_tile(request.app.state.settings.tile_mbtiles, z, x, y, extension)
    if tile is None:
        raise NotFound("tile_not_found")
    headers = {"Cache-Control": CACHE}
    if tile.gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(tile.data, media_type=tile.media_type, headers=headers)
