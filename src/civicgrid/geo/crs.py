"""Coordinate systems: the one place that converts between WGS-84, GCJ-02 and BD-09.

Points reach the platform in WGS-84 (GPS, CGCS2000 treated as equal), GCJ-02 (the
obfuscated system Gaode and Tencent maps must use in China) or BD-09 (Baidu's further
obfuscation of GCJ-02); they are stored in WGS-84. Every function takes a scalar pair
or a pair of numpy arrays and gives back the same kind: one conversion serves a single
report and a bulk import alike.

The systems form a chain WGS-84 ↔ GCJ-02 ↔ BD-09; a conversion walks the chain. The
forward steps are the published formulas. Their inverses have no closed form, so they
are solved by fixed-point iteration to well under a millimetre, instead of the common
one-step subtraction that leaves errors of a metre or more.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray

Array = NDArray[np.float64]
Geometries = NDArray[np.object_]
Coord = TypeVar("Coord", float, Array)
Step = Callable[[Array, Array], tuple[Array, Array]]


class Crs(StrEnum):
    """A coordinate system a point may be given in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


# Krasovsky 1940 ellipsoid: the leaked GCJ-02 algorithm scales its offsets with it.
_AXIS = 6378245.0
_ECC2 = 0.00669342162296594323

# GCJ-02 is only applied inside this rectangle (the bounds every public implementation
# uses); outside it GCJ-02 coordinates equal WGS-84.
_CHINA_LNG = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

# BD-09 works in "x_pi" radians: degrees scaled by 3000/180 rather than by pi/180.
_X_PI = np.pi * 3000.0 / 180.0
_BD_SHIFT_LNG = 0.0065
_BD_SHIFT_LAT = 0.006

# Inverses stop once the forward image of the estimate is this close to the input
# (degrees; 1e-10 deg is about 0.01 mm). Both forward maps move points by a few hundred
# metres with a derivative far below one, so each iteration gains about three digits
# and the bound is reached in four or five. The cap only bounds the work should a point
# ever fail to settle.
_TOLERANCE = 1e-10
_MAX_ITERATIONS = 20


def convert(lng: Coord, lat: Coord, src: Crs, dst: Crs) -> tuple[Coord, Coord]:
    """Convert a point, or arrays of points, from one coordinate system to another."""
    x = np.asarray(lng, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    for step in _steps(src, dst):
        x, y = step(x, y)
    return _like(x, lng), _like(y, lat)


def to_wgs84(lng: Coord, lat: Coord, crs: Crs) -> tuple[Coord, Coord]:
    """Bring coordinates given in ``crs`` to WGS-84, the system the platform stores."""
    return convert(lng, lat, crs, Crs.WGS84)


def from_wgs84(lng: Coord, lat: Coord, crs: Crs) -> tuple[Coord, Coord]:
    """Express stored WGS-84 coordinates in ``crs``, e.g. for a Gaode or Baidu map."""
    return convert(lng, lat, Crs.WGS84, crs)


def geometries_to_wgs84(geometries: Geometries, crs: Crs) -> Geometries:
    """Convert every vertex of many geometries in one vectorised call to `to_wgs84`."""
    if crs is Crs.WGS84 or len(geometries) == 0:
        return geometries

    def convert_points(points: Array) -> Array:
        lng, lat = to_wgs84(points[:, 0], points[:, 1], crs)
        return np.column_stack([lng, lat])

    converted: Geometries = shapely.transform(geometries, convert_points)
    return converted


def _like(value: Array, template: Coord) -> Coord:
    """Return ``value`` as the kind of ``template``: a float for a scalar, else the array."""
    if isinstance(template, np.ndarray):
        return value
    return float(value)


def _steps(src: Crs, dst: Crs) -> list[Step]:
    """The conversion steps that lead from ``src`` to ``dst`` along the chain."""
    i, j = _CHAIN.index(src), _CHAIN.index(dst)
    if i <= j:
        return [_UP[crs] for crs in _CHAIN[i:j]]
    return [_DOWN[crs] for crs in reversed(_CHAIN[j + 1 : i + 1])]


def _in_china(lng: Array, lat: Array) -> NDArray[np.bool_]:
    return (
        (lng >= _CHINA_LNG[0])
        & (lng <= _CHINA_LNG[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _gcj_offset_lat(x: Array, y: Array) -> Array:
    """The published latitude offset polynomial, in the algorithm's own units."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * np.pi * x) + 20.0 * np.sin(2.0 * np.pi * x)) * 2.0 / 3.0
    ret += (20.0 * np.sin(np.pi * y) + 40.0 * np.sin(np.pi * y / 3.0)) * 2.0 / 3.0
    ret += (160.0 * np.sin(np.pi * y / 12.0) + 320.0 * np.sin(np.pi * y / 30.0)) * 2.0 / 3.0
    return ret


def _gcj_offset_lng(x: Array, y: Array) -> Array:
    """The published longitude offset polynomial, in the algorithm's own units."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * np.pi * x) + 20.0 * np.sin(2.0 * np.pi * x)) * 2.0 / 3.0
    ret += (20.0 * np.sin(np.pi * x) + 40.0 * np.sin(np.pi * x / 3.0)) * 2.0 / 3.0
    ret += (150.0 * np.sin(np.pi * x / 12.0) + 300.0 * np.sin(np.pi * x / 30.0)) * 2.0 / 3.0
    return ret


def _wgs84_to_gcj02(lng: Array, lat: Array) -> tuple[Array, Array]:
    dlat = _gcj_offset_lat(lng - 105.0, lat - 35.0)
    dlng = _gcj_offset_lng(lng - 105.0, lat - 35.0)
    rad_lat = np.radians(lat)
    magic = 1.0 - _ECC2 * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / (_AXIS * (1.0 - _ECC2) / (magic * sqrt_magic) * np.pi)
    dlng = dlng * 180.0 / (_AXIS / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = _in_china(lng, lat)
    return np.where(inside, lng + dlng, lng), np.where(inside, lat + dlat, lat)


def _gcj02_to_bd09(lng: Array, lat: Array) -> tuple[Array, Array]:
    # Applied everywhere, also outside China where GCJ-02 equals WGS-84: Baidu shifts
    # every coordinate it serves, so a BD-09 point abroad is still shifted.
    z = np.hypot(lng, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lng) + 0.000003 * np.cos(lng * _X_PI)
    return z * np.cos(theta) + _BD_SHIFT_LNG, z * np.sin(theta) + _BD_SHIFT_LAT


def _invert(forward: Step, lng: Array, lat: Array) -> tuple[Array, Array]:
    """Solve ``forward(x, y) == (lng, lat)`` for (x, y) by fixed-point iteration.

    Both forward maps are the identity plus a slowly varying shift, so correcting the
    estimate by the remaining mismatch converges quickly. Outside China the GCJ-02 map
    is the identity and the first iteration already matches.
    """
    x, y = lng.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = lng - fx, lat - fy
        x += dx
        y += dy
        # Written as "not above" so that NaN inputs count as settled instead of
        # forcing every iteration.
        if not (np.any(np.abs(dx) > _TOLERANCE) or np.any(np.abs(dy) > _TOLERANCE)):
            break
    return x, y


def _gcj02_to_wgs84(lng: Array, lat: Array) -> tuple[Array, Array]:
    return _invert(_wgs84_to_gcj02, lng, lat)


def _bd09_to_gcj02(lng: Array, lat: Array) -> tuple[Array, Array]:
    return _invert(_gcj02_to_bd09, lng, lat)


_CHAIN = (Crs.WGS84, Crs.GCJ02, Crs.BD09)
_UP: dict[Crs, Step] = {Crs.WGS84: _wgs84_to_gcj02, Crs.GCJ02: _gcj02_to_bd09}
_DOWN: dict[Crs, Step] = {Crs.GCJ02: _gcj02_to_wgs84, Crs.BD09: _bd09_to_gcj02}
