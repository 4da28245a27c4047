"""The H3 cut every part shares: a hexagon's six half-planes hold exactly the points that
H3 itself puts in it, so the cases listed behind a hexagon are the ones counted in it."""

import h3
from hypothesis import assume, given
from hypothesis import strategies as st

from civicgrid.hexcells import CELL_RESOLUTION, cell_of, half_planes, is_cell

# Around the test city (99.1 E, 25.1 N) and across the globe's inhabited latitudes.
LNG = st.floats(min_value=-179.0, max_value=179.0)
LAT = st.floats(min_value=-70.0, max_value=70.0)
OFFSET = st.floats(min_value=-0.004, max_value=0.004)  # a few hexagons either way


@given(lng=LNG, lat=LAT, d_lng=OFFSET, d_lat=OFFSET)
def test_a_point_is_inside_the_half_planes_of_exactly_its_own_cell(
    lng: float, lat: float, d_lng: float, d_lat: float
):
    cell = cell_of(lng, lat)
    assert cell is not None
    x, y = lng + d_lng, lat + d_lat
    margins = [a * y - b * x - c for a, b, c in half_planes(cell)]
    assume(min(abs(margin) for margin in margins) > 1e-12)  # not on an edge: both are right

    assert (min(margins) >= 0) == (h3.latlng_to_cell(y, x, CELL_RESOLUTION) == cell)


def test_only_an_h3_index_of_the_events_resolution_is_a_cell():
    cell = cell_of(99.1, 25.1)
    assert cell is not None
    assert is_cell(cell)
    assert not is_cell(h3.cell_to_parent(cell, 8))
    assert not is_cell("8940413565bfffz")
    assert not is_cell("")
    assert cell_of(None, 25.1) is None
    assert cell_of(181.0, 25.1) is None
