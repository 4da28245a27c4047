"""Coordinate conversions: published reference values, round trips and the China boundary."""

import math

import fast_geocn.coord
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from civicgrid.geo.crs import Crs, convert, from_wgs84, to_wgs84

EARTH_RADIUS_M = 6371008.8

# GCJ-02 applies inside a rectangle and is discontinuous on its edge; round trips are
# checked a little inside it, which still covers all of China's territory.
china_lng = st.floats(72.2, 137.6)
china_lat = st.floats(1.0, 55.6)
outside_china = st.one_of(
    st.tuples(st.floats(-180.0, 71.9), st.floats(-89.0, 89.0)),
    st.tuples(st.floats(137.9, 180.0), st.floats(-89.0, 89.0)),
    st.tuples(st.floats(-180.0, 180.0), st.floats(-89.0, 0.8)),
    st.tuples(st.floats(-180.0, 180.0), st.floats(55.9, 89.0)),
)


def china_arrays(size: int) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    return st.tuples(
        arrays(np.float64, size, elements=china_lng), arrays(np.float64, size, elements=china_lat)
    )


def haversine_m(lng1, lat1, lng2, lat2):
    lng1, lat1, lng2, lat2 = map(np.radians, (lng1, lat1, lng2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2
    a += np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


# (source, target, input, expected): values published with eviltransform and hutool,
# both computed with the standard formulas.
REFERENCES = [
    (Crs.WGS84, Crs.GCJ02, (121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    (Crs.WGS84, Crs.GCJ02, (113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    (Crs.WGS84, Crs.GCJ02, (116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    (Crs.WGS84, Crs.GCJ02, (116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    (Crs.GCJ02, Crs.BD09, (116.404, 39.915), (116.41036949371029, 39.92133699351022)),
    (Crs.WGS84, Crs.BD09, (116.404, 39.915), (116.41662724378733, 39.922699552216216)),
]


@pytest.mark.parametrize(("src", "dst", "point", "expected"), REFERENCES)
def test_forward_conversion_matches_published_values(src, dst, point, expected):
    assert convert(*point, src, dst) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("src", "dst", "point", "expected"), REFERENCES)
def test_inverse_conversion_returns_the_published_input(src, dst, point, expected):
    assert convert(*expected, dst, src) == pytest.approx(point, abs=1e-9)


def test_inverse_is_exact_where_the_one_step_formula_is_off_by_centimetres():
    # The usual one-step inverse gives (116.39775550083061, 39.91359571849836), about
    # 6 cm away; the iterated inverse maps back onto the input.
    lng, lat = convert(116.404, 39.915, Crs.GCJ02, Crs.WGS84)
    assert haversine_m(lng, lat, 116.39775550083061, 39.91359571849836) > 0.05
    assert convert(lng, lat, Crs.WGS84, Crs.GCJ02) == pytest.approx((116.404, 39.915), abs=1e-12)


@settings(max_examples=200)
@given(st.floats(72.2, 137.0), st.floats(1.0, 55.0))
def test_gcj02_forward_agrees_with_fast_geocn(lng, lat):
    # fast_geocn's GCJ-02 uses the same formulas; its rectangle is a bit smaller, so the
    # points stay inside both. Its BD-09 is not compared: it scales by pi instead of
    # Baidu's 3000/180 * pi and is off by tens of metres.
    assert convert(lng, lat, Crs.WGS84, Crs.GCJ02) == pytest.approx(
        fast_geocn.coord.wgs84_to_gcj02(lng, lat), abs=1e-12
    )


@pytest.mark.parametrize(
    ("there", "back"),
    [(Crs.WGS84, Crs.GCJ02), (Crs.WGS84, Crs.BD09), (Crs.GCJ02, Crs.BD09)],
)
@settings(max_examples=50)
@given(points=china_arrays(64))
def test_round_trips_are_within_a_millimetre(there, back, points):
    lng, lat = points
    returned = convert(*convert(lng, lat, there, back), back, there)
    assert haversine_m(lng, lat, *returned).max() < 0.001


@settings(max_examples=50)
@given(china_arrays(64))
def test_inverse_lands_within_1e_9_degrees_of_its_target(points):
    lng, lat = points
    for crs in (Crs.GCJ02, Crs.BD09):
        again = from_wgs84(*to_wgs84(lng, lat, crs), crs)
        assert np.abs(again[0] - lng).max() < 1e-9
        assert np.abs(again[1] - lat).max() < 1e-9


@given(china_lng, china_lat)
def test_a_shift_inside_china_is_a_few_hundred_metres_at_most(lng, lat):
    assert haversine_m(lng, lat, *convert(lng, lat, Crs.WGS84, Crs.GCJ02)) < 1000


@given(outside_china)
def test_outside_china_gcj02_equals_wgs84(point):
    assert convert(*point, Crs.WGS84, Crs.GCJ02) == point
    assert convert(*point, Crs.GCJ02, Crs.WGS84) == point


@given(outside_china)
def test_outside_china_bd09_is_still_baidus_shift_of_the_unchanged_point(point):
    assert convert(*point, Crs.WGS84, Crs.BD09) == convert(*point, Crs.GCJ02, Crs.BD09)


def test_scalars_come_back_as_floats():
    lng, lat = to_wgs84(116.404, 39.915, Crs.BD09)
    assert type(lng) is float
    assert type(lat) is float


def test_arrays_keep_their_shape_and_mix_inside_and_outside_china():
    lng = np.array([[116.404, 2.35], [121.47, -74.0]])
    lat = np.array([[39.915, 48.85], [31.23, 40.7]])
    gcj_lng, gcj_lat = from_wgs84(lng, lat, Crs.GCJ02)
    assert gcj_lng.shape == gcj_lat.shape == (2, 2)
    assert (gcj_lng[:, 0] != lng[:, 0]).all()
    assert (gcj_lng[:, 1] == lng[:, 1]).all()
    assert (gcj_lat[:, 1] == lat[:, 1]).all()


def test_array_and_scalar_conversions_agree():
    lng = np.array([116.404, 100.26, 87.62])
    lat = np.array([39.915, 25.61, 43.83])
    bd_lng, bd_lat = from_wgs84(lng, lat, Crs.BD09)
    for i in range(3):
        assert from_wgs84(float(lng[i]), float(lat[i]), Crs.BD09) == (bd_lng[i], bd_lat[i])


@pytest.mark.parametrize("crs", list(Crs))
def test_converting_to_the_same_system_changes_nothing(crs):
    assert convert(116.404, 39.915, crs, crs) == (116.404, 39.915)


def test_missing_coordinates_stay_missing():
    lng, lat = to_wgs84(np.array([math.nan, 116.404]), np.array([39.9, 39.915]), Crs.GCJ02)
    assert math.isnan(lng[0])
    assert (lng[1], lat[1]) == pytest.approx((116.39775575457485, 39.913596235609404), abs=1e-12)


def test_crs_values_are_the_api_spelling():
    assert [crs.value for crs in Crs] == ["wgs84", "gcj02", "bd09"]
    assert Crs("gcj02") is Crs.GCJ02
