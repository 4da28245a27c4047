"""Hotspots over the archive: a planted cluster is hot, an evenly busy area is not, and
each caller sees only the hexagons of their own area's events."""

from datetime import datetime

import h3
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.archive import store
from civicgrid.archive.events import ArchiveEvent
from civicgrid.hexcells import CELL_RESOLUTION
from civicgrid.settings import Settings
from tests.factories import (
    OTHER_DISTRICT,
    OTHER_GRID,
    OWN_DISTRICT,
    OWN_GRID,
    City,
    People,
    archived_event,
    auth,
    district_leader,
)

# Friday 13 November 2026, 22:30 in the city (14:30 UTC); the even area's events at 09:00.
CLUSTER_TIME = datetime.fromisoformat("2026-11-13T14:30:00+00:00")
EVEN_TIME = datetime.fromisoformat("2026-11-10T01:00:00+00:00")  # a Tuesday
FRIDAY, TUESDAY = 4, 1


def _events(cells: dict[str, int], grid: str, when: datetime, first: int) -> list[ArchiveEvent]:
    events: list[ArchiveEvent] = []
    for cell, count in sorted(cells.items()):
        events.extend(
            archived_event(
                first + len(events),
                when,
                grid,
                "theft",
                source="case",
                kind="resident",
                status="closed",
                h3_cell=cell,
            )
            for _ in range(count)
        )
    return events


@pytest.fixture
def planted(city: City, settings: Settings) -> dict[str, set[str]]:
    """A cluster (7 hexagons, 20 events each), an even area (37 hexagons, 2 each) ten rings
    away, and a foreign district's busy hexagon right beside the even area."""
    lng, lat = city.point_in(OWN_GRID)
    cluster_centre = h3.latlng_to_cell(lat, lng, CELL_RESOLUTION)
    even_centre = sorted(h3.grid_ring(cluster_centre, 12))[0]
    cluster = set(h3.grid_disk(cluster_centre, 1))
    even = set(h3.grid_disk(even_centre, 3))
    foreign = {sorted(h3.grid_ring(even_centre, 4))[0]}
    events = _events(dict.fromkeys(cluster, 20), OWN_GRID, CLUSTER_TIME, 1)
    events += _events(dict.fromkeys(even, 2), OWN_GRID, EVEN_TIME, 1000)
    events.sort(key=lambda event: event.source_id)
    root = settings.effective_archive_dir
    store.write_batch(root, "case", events)
    store.write_batch(
        root, "dispute", _events(dict.fromkeys(foreign, 40), OTHER_GRID, EVEN_TIME, 1)
    )
    return {"cluster": cluster, "even": even, "foreign": foreign, "centre": {cluster_centre}}


def test_a_planted_cluster_is_hot_and_an_evenly_busy_area_is_not(
    client: TestClient, people: People, planted: dict[str, set[str]]
):
    found = client.get(
        "/api/v1/analysis/hotspots?window=2026-11&classes=theft,fraud",
        headers=auth(client, people.owner),
    )

    assert found.status_code == 200, found.text
    body = found.json()
    assert body["type"] == "FeatureCollection"
    spots = {f["properties"]["cell"]: f["properties"] for f in body["features"]}
    assert set(spots) == planted["cluster"] | planted["even"]
    assert {spots[cell]["spot"] for cell in planted["cluster"]} == {"hot"}
    assert {spots[cell]["spot"] for cell in planted["even"]} == {"none"}
    [centre] = planted["centre"]
    assert spots[centre]["events"] == 20
    assert spots[centre]["z"] > 8
    ring = next(f for f in body["features"] if f["properties"]["cell"] == centre)["geometry"]
    assert ring["type"] == "Polygon"
    assert len(ring["coordinates"][0]) == 7
    assert ring["coordinates"][0][0] == ring["coordinates"][0][-1]


def test_another_areas_caller_sees_only_their_own_hexagons(
    client: TestClient, people: People, planted: dict[str, set[str]]
):
    outsider = client.get(
        "/api/v1/analysis/hotspots?window=2026-11-01/2026-11-30",
        headers=auth(client, people.outsider),
    )
    leader = client.get(
        f"/api/v1/analysis/hotspots?window=2026-11&region={OTHER_DISTRICT}",
        headers=auth(client, people.leader),
    )
    owner_elsewhere = client.get(
        f"/api/v1/analysis/hotspots?window=2026-11&region={OTHER_DISTRICT}",
        headers=auth(client, people.owner),
    )

    assert {f["properties"]["cell"] for f in outsider.json()["features"]} == planted["foreign"]
    assert {f["properties"]["cell"] for f in leader.json()["features"]} == planted["foreign"]
    assert owner_elsewhere.status_code == 404


def test_a_district_leader_sees_only_their_districts_hexagons(
    client: TestClient, db: Session, people: People, planted: dict[str, set[str]]
):
    leader = auth(client, district_leader(db, OWN_DISTRICT))

    own = client.get("/api/v1/analysis/hotspots?window=2026-11", headers=leader)
    elsewhere = client.get(
        f"/api/v1/analysis/hotspots?window=2026-11&region={OTHER_DISTRICT}", headers=leader
    )
    hours = client.get("/api/v1/analysis/hotspots/hours?window=2026-11", headers=leader)

    cells = {f["properties"]["cell"] for f in own.json()["features"]}
    assert cells == planted["cluster"] | planted["even"]
    assert not cells & planted["foreign"]
    assert elsewhere.status_code == 404
    assert hours.json()["total"] == 7 * 20 + 37 * 2  # the foreign district's 40 are not in it


def test_the_hours_matrix_counts_events_by_local_weekday_and_hour(
    client: TestClient, people: People, planted: dict[str, set[str]]
):
    found = client.get(
        "/api/v1/analysis/hotspots/hours?window=2026-11", headers=auth(client, people.owner)
    )

    assert found.status_code == 200, found.text
    body = found.json()
    assert body["days"][0] == "星期一"
    assert len(body["matrix"]) == 7
    assert {len(row) for row in body["matrix"]} == {24}
    assert body["matrix"][FRIDAY][22] == 7 * 20
    assert body["matrix"][TUESDAY][9] == 37 * 2
    assert body["total"] == 7 * 20 + 37 * 2


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("window=2026-13", "2026-13"),
        ("window=2026-11-30/2026-11-01", "2026-11-30/2026-11-01"),
        ("window=2025-01-01/2026-11-30", "366"),
        ("window=2026-11&classes=theft,ufo", "ufo"),
        ("", "时间范围"),
    ],
)
def test_a_malformed_window_or_class_is_refused_in_chinese(
    client: TestClient, people: People, query: str, fragment: str
):
    refused = client.get(f"/api/v1/analysis/hotspots?{query}", headers=auth(client, people.owner))
    hours = client.get(
        f"/api/v1/analysis/hotspots/hours?{query}", headers=auth(client, people.owner)
    )

    assert (refused.status_code, hours.status_code) == (422, 422)
    assert fragment in refused.json()["error"]["message"]
    assert refused.json()["error"]["message"] == hours.json()["error"]["message"]
