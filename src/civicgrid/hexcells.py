"""H3 hexagons of points: the coarse place an event keeps once its point is dropped.

A platform tool beside `divisions.py`: the archive, the source importer and the case
list's hexagon filter all cut places the same way, so a hexagon on the map, the events
counted in it and the cases listed behind it are one and the same cell.
"""

import h3

CELL_RESOLUTION = 9
"""H3 resolution of an event's cell: hexagons of about 0.1 km² (edge about 174 m), enough
for a map, too coarse to point at a home."""


def cell_of(lng: float | None, lat: float | None) -> str | None:
    """The H3 cell (resolution 9) of a WGS-84 point, or None without a usable point."""
    if lng is None or lat is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    cell: str = h3.latlng_to_cell(lat, lng, CELL_RESOLUTION)
    return cell


def is_cell(text: str) -> bool:
    """Whether `text` is a valid H3 index of the events' resolution."""
    try:
        return bool(h3.is_valid_cell(text)) and h3.get_resolution(text) == CELL_RESOLUTION
    except (TypeError, ValueError):
        return False


def boundary(cell: str) -> list[tuple[float, float]]:
    """The cell's corners as (lng, lat), counter-clockwise as H3 gives them."""
    return [(lng, lat) for lat, lng in h3.cell_to_boundary(cell)]
