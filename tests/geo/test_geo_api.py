"""The geo API: placing points in grids and reading regions, with bad input refused."""

import json

import pytest
from shapely.geometry import box
from sqlalchemy.orm import Session

from civicgrid.divisions import Level
from civicgrid.geo import crs
from civicgrid.geo.records import RegionRecord
from civicgrid.geo.service import save_regions
from tests.factories import City, People, auth

GRID = "530502001001001"


def test_a_point_inside_a_grid_names_the_grid_and_every_level_above(client, city: City):
    lng, lat = city.point_in(GRID)
    body = client.get(f"/api/v1/geo/locate?lng={lng}&lat={lat}").json()
    assert body["unlocated"] is False
    assert body["grid"]["code"] == GRID
    assert body["community"]["code"] == "530502001001"
    assert body["street"]["code"] == "530502001"
    assert body["district"]["code"] == "530502"
    assert body["city"]["code"] == "530500"


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_points_in_chinese_map_systems_are_converted_before_locating(client, city, system):
    lng, lat = city.point_in(GRID)
    shifted = crs.from_wgs84(lng, lat, crs.Crs(system))
    body = client.get(
        "/api/v1/geo/locate",
        params={"lng": float(shifted[0]), "lat": float(shifted[1]), "crs": system},
    ).json()
    assert body["grid"]["code"] == GRID
    assert body["wgs84"] == pytest.approx([lng, lat], abs=1e-6)


def test_a_point_in_no_grid_is_unlocated_not_an_error(client, city):
    response = client.get("/api/v1/geo/locate?lng=99.19&lat=25.12")
    assert response.status_code == 200
    assert response.json()["unlocated"] is True
    assert response.json()["grid"] is None


def test_a_point_on_a_shared_edge_resolves_to_the_lower_code_every_time(client, city):
    lng, lat = city.point_in(GRID)
    edge_lng = lng + 0.005  # the east edge of the first grid, shared with the second
    answers = {
        client.get(f"/api/v1/geo/locate?lng={edge_lng}&lat={lat}").json()["grid"]["code"]
        for _ in range(3)
    }
    assert answers == {GRID}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lng=abc&lat=25", "lng"),
        ("lng=99&lat=north", "lat"),
        ("lng=181&lat=25", "lng"),
        ("lng=99&lat=-91", "lat"),
        ("lng=99&lat=25&crs=utm", "crs"),
        ("lat=25", "lng"),
        ("lng=nan&lat=25", "lng"),
    ],
)
def test_bad_coordinates_get_a_422_naming_the_field_in_chinese(client, city, query, field):
    response = client.get(f"/api/v1/geo/locate?{query}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation"
    assert error["message"].startswith("输入有误")
    assert field in [problem["field"] for problem in error["fields"]]


def test_validation_messages_follow_accept_language(client, city):
    response = client.get("/api/v1/geo/locate?lng=abc&lat=25", headers={"Accept-Language": "en"})
    assert response.json()["error"]["message"].startswith("Invalid input")


def test_locator_refreshes_when_grids_change(client, db: Session, city):
    lng, lat = 99.19, 25.12
    assert client.get(f"/api/v1/geo/locate?lng={lng}&lat={lat}").json()["unlocated"] is True
    new_grid = RegionRecord(
        "530502001001005", "新网格", Level.GRID, "530502001001", box(99.185, 25.115, 99.195, 25.125)
    )
    save_regions(db, [new_grid], kind="test", summary="one more grid")
    db.commit()
    assert (
        client.get(f"/api/v1/geo/locate?lng={lng}&lat={lat}").json()["grid"]["code"]
        == new_grid.code
    )


def test_region_shows_its_children_and_box(client, people: People):
    response = client.get("/api/v1/geo/regions/530500", headers=auth(client, people.leader))
    body = response.json()
    assert body["level"] == "city"
    assert [c["code"] for c in body["children"]] == ["530502", "530521"]
    assert body["bbox"] == pytest.approx([99.0, 25.0, 99.4, 25.4])


@pytest.mark.parametrize("code", ["abc", "5305", "530502000", "53050200100100"])
def test_malformed_region_codes_get_a_422(client, people, code):
    response = client.get(f"/api/v1/geo/regions/{code}", headers=auth(client, people.leader))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_region_code"


def test_unknown_region_is_404(client, people):
    response = client.get("/api/v1/geo/regions/110101", headers=auth(client, people.leader))
    assert response.status_code == 404


def test_grids_geojson_can_be_cut_to_a_viewport(client, people, city):
    lng, lat = city.point_in(GRID)
    bbox = f"{lng - 0.001},{lat - 0.001},{lng + 0.001},{lat + 0.001}"
    response = client.get(
        f"/api/v1/geo/regions/530500/grids.geojson?bbox={bbox}", headers=auth(client, people.leader)
    )
    assert response.headers["content-type"].startswith("application/geo+json")
    features = json.loads(response.text)["features"]
    assert [f["properties"]["code"] for f in features] == [GRID]
    assert features[0]["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,10,5,5", "0,0,200,10"])
def test_a_malformed_viewport_is_refused(client, people, bbox):
    response = client.get(
        f"/api/v1/geo/regions/530500/grids.geojson?bbox={bbox}", headers=auth(client, people.leader)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_bbox"


def test_districts_and_streets_come_as_features(client, people):
    headers = auth(client, people.leader)
    response = client.get(
        "/api/v1/geo/regions/530500/features.geojson?level=street", headers=headers
    )
    names = [f["properties"]["code"] for f in json.loads(response.text)["features"]]
    assert names == ["530502001", "530502002", "530521001", "530521002"]
    upward = client.get("/api/v1/geo/regions/530502/features.geojson?level=city", headers=headers)
    assert upward.status_code == 422
