"""Distances between WGS-84 points, in metres, the one way the platform measures them."""

import math

EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius (IUGG)


def great_circle_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Haversine distance: good to a fraction of a percent at city scale, which is all we need."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = math.radians(lat2 - lat1) / 2
    half_dlambda = math.radians(lng2 - lng1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
