"""The point → grid locator: hand-made cases, then agreement with brute force."""

import math
import threading

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, Polygon, box

from civicgrid.geo.locator import Locator


def square(col: float, row: float, side: float = 1.0) -> Polygon:
    return box(col, row, col + side, row + side)


# A 3 x 3 block of unit squares coded G<row><col>, a square with a hole (H) holding a
# smaller island (I), and a grid made of two separate squares (M).
TOWN = [
    *((f"G{row}{col}", square(col, row)) for row in range(3) for col in range(3)),
    ("H", Polygon(box(5, 0, 8, 3).exterior, [box(6, 1, 7, 2).exterior])),
    ("I", box(6.25, 1.25, 6.75, 1.75)),
    ("M", MultiPolygon([square(10, 0), square(12, 0)])),
]


@pytest.fixture(scope="module")
def town() -> Locator:
    return Locator.build(reversed(TOWN))


@pytest.mark.parametrize(
    ("lng", "lat", "code"),
    [
        pytest.param(0.5, 0.5, "G00", id="inside a corner square"),
        pytest.param(1.5, 1.5, "G11", id="inside the middle square"),
        pytest.param(2.9, 2.1, "G22", id="inside near a corner"),
        pytest.param(1.0, 0.5, "G00", id="shared edge goes to the lower code"),
        pytest.param(1.5, 1.0, "G01", id="shared horizontal edge goes to the lower code"),
        pytest.param(1.0, 1.0, "G00", id="vertex of four squares goes to the lowest"),
        pytest.param(2.0, 2.0, "G11", id="another four-square vertex"),
        pytest.param(0.0, 0.5, "G00", id="outer edge belongs to its only grid"),
        pytest.param(3.0, 3.0, "G22", id="outer corner"),
        pytest.param(5.5, 0.5, "H", id="inside the holed square"),
        pytest.param(6.9, 1.9, None, id="in the hole"),
        pytest.param(6.0, 1.5, "H", id="on the hole's ring"),
        pytest.param(6.5, 1.5, "I", id="on the island in the hole"),
        pytest.param(6.25, 1.5, "I", id="on the island's edge"),
        pytest.param(10.5, 0.5, "M", id="first part of a multipolygon"),
        pytest.param(12.5, 0.5, "M", id="second part of a multipolygon"),
        pytest.param(11.5, 0.5, None, id="between the parts"),
        pytest.param(4.0, 1.0, None, id="between grids"),
        pytest.param(-1.0, -1.0, None, id="outside every grid"),
        pytest.param(100.0, 25.0, None, id="far away"),
        pytest.param(math.nan, 1.0, None, id="no coordinates"),
    ],
)
def test_a_point_is_placed_in_the_right_grid(town, lng, lat, code):
    assert town.locate(lng, lat) == code


def test_many_points_resolve_like_single_ones(town):
    lng = np.array([0.5, 1.0, 6.9, 12.5, -1.0, 2.0])
    lat = np.array([0.5, 0.5, 1.9, 0.5, -1.0, 2.0])
    found = town.locate_many(lng, lat)
    assert found.dtype == np.int32
    assert town.codes_for(found) == [town.locate(x, y) for x, y in zip(lng, lat, strict=True)]
    assert town.codes_for(found) == ["G00", "G00", None, "M", None, "G11"]


def test_codes_are_sorted_and_counted(town):
    assert town.codes == tuple(sorted(code for code, _ in TOWN))
    assert len(town) == len(TOWN)


def test_locate_many_keeps_the_shape_of_its_input(town):
    lng = np.full((2, 3), 0.5)
    assert town.locate_many(lng, lng).shape == (2, 3)
    assert town.locate_many(np.empty(0), np.empty(0)).shape == (0,)


def test_an_empty_locator_places_nothing():
    empty = Locator.empty()
    assert len(empty) == 0
    assert empty.locate(0.5, 0.5) is None
    assert (empty.locate_many(np.array([0.5, 99.0]), np.array([0.5, 25.0])) == -1).all()


def test_an_empty_geometry_is_indexed_but_never_found():
    locator = Locator.build([("E", Polygon()), ("A", square(0, 0))])
    assert locator.codes == ("A", "E")
    assert locator.locate(0.5, 0.5) == "A"


def test_overlapping_grids_go_to_the_lowest_code():
    locator = Locator.build([("B", box(0, 0, 10, 10)), ("A", box(4, 4, 5, 5)), ("C", square(4, 4))])
    assert locator.locate(4.5, 4.5) == "A"
    assert locator.locate(2, 2) == "B"


def test_duplicate_codes_are_refused():
    with pytest.raises(ValueError, match="unique"):
        Locator.build([("A", square(0, 0)), ("A", square(1, 0))])


def test_only_areas_can_be_grids():
    with pytest.raises(ValueError, match="polygons"):
        Locator.build([("A", Point(0, 0))])


def test_concurrent_readers_get_the_same_answers(town):
    rng = np.random.default_rng(7)
    lng, lat = rng.uniform(-1, 14, 20_000), rng.uniform(-1, 4, 20_000)
    expected = town.locate_many(lng, lat)
    results = []

    def read() -> None:
        results.append(town.locate_many(lng, lat))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all((result == expected).all() for result in results)


# Brute force against random partitions.


def frame(shape: str, x0: float, y0: float, side: float) -> shapely.Geometry:
    """The outline a tiling is clipped to: a box, a C shape, or a box with a hole."""
    outer = box(x0, y0, x0 + side, y0 + side)
    middle = box(x0 + side / 3, y0 + side / 3, x0 + side * 2 / 3, y0 + side * 2 / 3)
    if shape == "c":
        return outer.difference(box(x0 + side / 3, y0 + side / 3, x0 + side, y0 + side * 2 / 3))
    if shape == "holed":
        return outer.difference(middle)
    return outer


def voronoi_grids(sites: np.ndarray, outline: shapely.Geometry) -> list[shapely.Geometry]:
    diagram = shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=outline)
    clipped = shapely.intersection(shapely.get_parts(diagram), outline)
    # A clipped cell that only touches the outline's notch comes back as a line or point.
    return [cell for cell in clipped if shapely.get_type_id(cell) in (3, 6)]


def probe_points(grids: list[shapely.Geometry], rng: np.random.Generator) -> np.ndarray:
    """Random points over the extent, plus every vertex and points on and near edges."""
    x0, y0, x1, y1 = shapely.total_bounds(grids)
    pad = (x1 - x0) * 0.05
    scattered = rng.uniform([x0 - pad, y0 - pad], [x1 + pad, y1 + pad], size=(2000, 2))
    rings = shapely.get_rings(shapely.get_parts(grids))
    vertices = shapely.get_coordinates(rings)
    on_edges = shapely.get_coordinates(
        shapely.line_interpolate_point(rings, rng.uniform(size=rings.size), normalized=True)
    )
    nudged = vertices + rng.normal(scale=(x1 - x0) * 1e-9, size=vertices.shape)
    return np.concatenate([scattered, vertices, on_edges, nudged])


def brute_force(codes: list[str], grids: list[shapely.Geometry], points: np.ndarray) -> list:
    """For each point, the lowest code among the grids covering it."""
    order = sorted(range(len(codes)), key=codes.__getitem__)
    shapes = np.array([grids[i] for i in order], dtype=object)
    covers = shapely.covers(shapes[:, None], shapely.points(points)[None, :])
    first = covers.argmax(axis=0)
    return [codes[order[i]] if covers[i, j] else None for j, i in enumerate(first)]


def assert_agrees_with_brute_force(codes, grids, seed):
    rng = np.random.default_rng(seed)
    locator = Locator.build(zip(codes, grids, strict=True))
    points = probe_points(grids, rng)
    found = locator.codes_for(locator.locate_many(points[:, 0], points[:, 1]))
    expected = brute_force(codes, grids, points)
    wrong = [(tuple(p), f, e) for p, f, e in zip(points, found, expected, strict=True) if f != e]
    assert not wrong, wrong[:5]


@settings(max_examples=40, deadline=None)
@given(
    sites=st.integers(2, 60),
    shape=st.sampled_from(["box", "c", "holed"]),
    near_real_coordinates=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_voronoi_partitions_agree_with_brute_force(sites, shape, near_real_coordinates, seed):
    rng = np.random.default_rng(seed)
    # Around Dali at a city's scale, or around the origin at unit scale.
    x0, y0, side = (99.0, 25.0, 0.3) if near_real_coordinates else (0.0, 0.0, 1.0)
    grids = voronoi_grids(
        rng.uniform([x0, y0], [x0 + side, y0 + side], (sites, 2)), frame(shape, x0, y0, side)
    )
    assume(grids)
    # Codes in an order unrelated to position, so ties are not broken by accident.
    codes = [f"5329{n:08d}" for n in rng.permutation(len(grids))]
    assert_agrees_with_brute_force(codes, grids, seed)


@settings(max_examples=20, deadline=None)
@given(discs=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_overlapping_discs_agree_with_brute_force(discs, seed):
    rng = np.random.default_rng(seed)
    centres = shapely.points(rng.uniform(0, 1, (discs, 2)))
    grids = list(shapely.buffer(centres, rng.uniform(0.05, 0.4, discs), quad_segs=4))
    codes = [f"D{n:03d}" for n in rng.permutation(discs)]
    assert_agrees_with_brute_force(codes, grids, seed)


def test_axis_aligned_squares_agree_with_brute_force():
    # Edges of a regular lattice fall on cell centres and cell sides of the raster.
    grids = [square(col * 0.5, row * 0.5, 0.5) for row in range(8) for col in range(8)]
    codes = [f"Q{n:02d}" for n in np.random.default_rng(1).permutation(len(grids))]
    assert_agrees_with_brute_force(codes, grids, seed=1)
