"""Gi* against numbers worked out by hand on a tiny grid of hexagons."""

import math

import h3

from civicgrid.hotspots.statistics import gi_star, study_area

CENTRE = h3.latlng_to_cell(25.105, 99.105, 9)
NEIGHBOUR = sorted(h3.grid_ring(CENTRE, 1))[0]


def test_gi_star_of_two_adjacent_busy_hexagons_matches_the_hand_computation():
    # 4 events in one hexagon, 2 in the one beside it. The study area is both 1-rings:
    # 7 + 7 hexagons sharing 4 (the two and the two beside both), so n = 10.
    counts = {CENTRE: 4, NEIGHBOUR: 2}
    n, mean = 10, 6 / 10
    spread = math.sqrt((16 + 4) / n - mean**2)  # √1.64
    # Each of the two has all 7 of its ring in the area and both busy ones in it: Σ = 6.
    expected_z = (6 - mean * 7) / (spread * math.sqrt((n * 7 - 7**2) / (n - 1)))

    found = {hexagon.cell: hexagon for hexagon in gi_star(counts)}

    assert len(study_area(counts)) == n
    assert round(expected_z, 6) == 0.920158
    assert math.isclose(found[CENTRE].z, expected_z, rel_tol=1e-12)
    assert math.isclose(found[NEIGHBOUR].z, expected_z, rel_tol=1e-12)
    assert math.isclose(found[CENTRE].p, 0.357490, abs_tol=1e-6)
    assert (found[CENTRE].events, found[CENTRE].spot) == (4, "none")


def test_an_evenly_busy_area_has_no_spot_inside_it():
    counts = (
        dict.fromkeys(h3.grid_disk(CENTRE, 1), 3)
        | dict.fromkeys(h3.grid_ring(CENTRE, 2), 3)
        | dict.fromkeys(h3.grid_ring(CENTRE, 3), 3)
    )

    inner = [hexagon for hexagon in gi_star(counts) if hexagon.cell in h3.grid_disk(CENTRE, 2)]

    assert {hexagon.spot for hexagon in inner} == {"none"}


def test_a_lone_busy_hexagon_whose_ring_is_the_whole_area_is_not_a_spot():
    [lone] = [hexagon for hexagon in gi_star({CENTRE: 40}) if hexagon.cell == CENTRE]

    assert (lone.z, lone.p, lone.spot) == (0.0, 1.0, "none")
