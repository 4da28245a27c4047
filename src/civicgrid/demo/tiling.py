"""Seeded Voronoi tiling: cut a polygon into pieces that cover it exactly.

Every level the demo city invents below the district (streets, communities,
grids) is drawn this way, so the children tile their parent and the locator
finds every point in exactly one of them.
"""

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

# Lloyd relaxation rounds: raw Voronoi cells of random points vary wildly in
# size; two rounds of moving each point to its cell's centroid even them out.
_LLOYD_ROUNDS = 2


def tile(parent: BaseGeometry, count: int, rng: np.random.Generator) -> list[BaseGeometry]:
    """`count` non-empty pieces that tile `parent`, numbered outward from its centre.

    Each piece is a Voronoi cell clipped to the parent; every seed lies inside
    the parent, so every piece holds at least the neighbourhood of its seed.
    """
    if count <= 1:
        return [parent] if count == 1 else []
    shapely.prepare(parent)  # sampling tests thousands of points against it
    seeds = _points_inside(parent, count, rng)
    for _ in range(_LLOYD_ROUNDS):
        seeds = _relaxed(parent, seeds)
    return _clipped_cells(parent, _outward(parent, seeds))


def _points_inside(parent: BaseGeometry, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` distinct uniform random points strictly inside `parent` (rejection sampling)."""
    xmin, ymin, xmax, ymax = parent.bounds
    hit_rate = parent.area / ((xmax - xmin) * (ymax - ymin))
    found = np.empty((0, 2))
    while len(found) < count:
        batch = int(2 * count / hit_rate) + 16
        candidates = rng.uniform((xmin, ymin), (xmax, ymax), size=(batch, 2))
        inside = candidates[shapely.contains_xy(parent, candidates[:, 0], candidates[:, 1])]
        found = _distinct(np.concatenate([found, inside]))
    return found[:count]


def _distinct(points: np.ndarray) -> np.ndarray:
    """The points without repeats, in first-seen order (two equal seeds share one cell)."""
    _, first = np.unique(points[:, 0] + 1j * points[:, 1], return_index=True)
    return points[np.sort(first)]


def _relaxed(parent: BaseGeometry, seeds: np.ndarray) -> np.ndarray:
    """One Lloyd step: each seed moves to its cell's centroid, if that lies inside the parent.

    A centroid of a cell clipped to a concave parent can fall outside it; such
    a seed stays put, so every seed keeps a non-empty cell.
    """
    centroids = shapely.get_coordinates(shapely.centroid(_clipped_cells(parent, seeds)))
    inside = shapely.contains_xy(parent, centroids[:, 0], centroids[:, 1])
    moved = np.where(inside[:, None], centroids, seeds)
    return moved if len(_distinct(moved)) == len(moved) else seeds


def _outward(parent: BaseGeometry, seeds: np.ndarray) -> np.ndarray:
    """The seeds ordered by distance from the parent's centre, so number 001 is central."""
    centre = parent.representative_point()
    distance = np.hypot(seeds[:, 0] - centre.x, seeds[:, 1] - centre.y)
    return seeds[np.argsort(distance, kind="stable")]


def _clipped_cells(parent: BaseGeometry, seeds: np.ndarray) -> list[BaseGeometry]:
    """The Voronoi cell of each seed, in the seeds' order, clipped to `parent`."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent, ordered=True)
    cells = shapely.intersection(shapely.get_parts(diagram), parent)
    return [_polygonal(cell) for cell in cells]


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """The areal part of an overlay result: drop stray lines and points, repair if invalid."""
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    if geometry.geom_type in {"Polygon", "MultiPolygon"}:
        return geometry
    polygons = _polygon_parts(shapely.get_parts(geometry))
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _polygon_parts(parts: Iterable[BaseGeometry]) -> list[Any]:
    polygons: list[Any] = []
    for part in parts:
        if part.geom_type == "Polygon" and part.area > 0:
            polygons.append(part)
        elif part.geom_type in {"MultiPolygon", "GeometryCollection"}:
            polygons.extend(_polygon_parts(shapely.get_parts(part)))
    return polygons
