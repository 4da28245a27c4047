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


HalfPlane = tuple[float, float, float]
"""(a, b, c): the points with a·lat − b·lng ≥ c."""


def half_planes(cell: str) -> list[HalfPlane]:
    """The cell as six half-planes in (lng, lat), one per edge: a point is in the cell when
    it is in all six. A query can say this in plain arithmetic on any engine.

    Over a 174 m edge the great-circle side and the straight line in degrees differ by far
    less than a stored coordinate's last digit, so this agrees with `cell_of`; a point
    exactly on a shared edge is in both cells.
    """
    corners = [(lng, lat) for lat, lng in h3.cell_to_boundary(cell)]
    if _signed_area(corners) < 0:
        corners.reverse()  # counter-clockwise: the inside is left of every edge
    planes = []
    for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1], strict=True):
        dx, dy = x2 - x1, y2 - y1
        planes.append((dx, dy, dx * y1 - dy * x1))
    return planes


def _signed_area(corners: list[tuple[float, float]]) -> float:
    pairs = zip(corners, corners[1:] + corners[:1], strict=True)
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs) / 2
