"""The cases behind a hotspot map's hexagon: the case list's `hexagon` filter keeps the
cases whose point H3 puts in it, inside the reader's area like every other filter."""

import h3
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.hexcells import CELL_RESOLUTION
from tests.factories import (
    OTHER_DISTRICT,
    OTHER_GRID,
    OWN_DISTRICT,
    OWN_GRID,
    City,
    People,
    auth,
    district_leader,
    report,
)


def _cell(lng: float, lat: float) -> str:
    return h3.latlng_to_cell(lat, lng, CELL_RESOLUTION)


def _numbers(client: TestClient, headers: dict[str, str], query: str) -> list[str]:
    response = client.get(f"/api/v1/cases{query}", headers=headers)
    assert response.status_code == 200, response.text
    return sorted(case["number"] for case in response.json())


def test_the_hexagon_filter_lists_the_cases_in_it_and_only_inside_the_readers_area(
    client: TestClient, db: Session, city: City, people: People
):
    lng, lat = city.point_in(OWN_GRID)
    centre = _cell(lng, lat)
    neighbour_lat, neighbour_lng = h3.cell_to_latlng(sorted(h3.grid_ring(centre, 1))[0])
    inside = [report(client, city).json()["number"] for _ in range(2)]
    beside = report(client, city, lng=neighbour_lng, lat=neighbour_lat).json()["number"]
    foreign = report(client, city, OTHER_GRID).json()["number"]
    foreign_cell = _cell(*city.point_in(OTHER_GRID))
    own_leader = auth(client, district_leader(db, OWN_DISTRICT))
    other_leader = auth(client, district_leader(db, OTHER_DISTRICT))

    assert _numbers(client, own_leader, f"?hexagon={centre}") == sorted(inside)
    assert _numbers(client, own_leader, f"?hexagon={centre}&region={OWN_GRID}") == sorted(inside)
    assert beside not in _numbers(client, own_leader, f"?hexagon={centre}")
    assert _numbers(client, own_leader, f"?hexagon={foreign_cell}") == []
    assert _numbers(client, other_leader, f"?hexagon={centre}") == []
    assert _numbers(client, other_leader, f"?hexagon={foreign_cell}") == [foreign]
    assert _numbers(client, auth(client, people.leader), f"?hexagon={foreign_cell}") == [foreign]


def test_a_malformed_hexagon_is_refused_in_chinese(client: TestClient, people: People):
    headers = auth(client, people.leader)
    for bad in ("8940413565bfffz", "8840413565fffff", "x" * 21):
        response = client.get(f"/api/v1/cases?hexagon={bad}", headers=headers)
        assert response.status_code == 422, (bad, response.text)
    refused = client.get("/api/v1/cases?hexagon=nothex", headers=headers)
    assert "六边形编号" in refused.json()["error"]["message"]
