"""The component register: a survey file in, each area's components out, and cases about them."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.components.models import Component
from tests.components.conftest import FAR_LIGHT, HEADINGS, OWN_COVER, OWN_LIGHT, Survey
from tests.factories import OTHER_GRID, OWN_GRID, City, People, auth, write_csv


def test_the_survey_places_each_component_in_its_grid_under_its_class(
    client: TestClient, survey: Survey, people: People
):
    admin = auth(client, people.admin)
    cover = client.get(f"/api/v1/components/{OWN_COVER}", headers=admin).json()
    assert (cover["region_code"], cover["class_code"], cover["status"]) == (
        OWN_GRID,
        "0101",
        "intact",
    )
    assert cover["name"] == cover["class_name"] == "上水井盖"
    assert cover["major_name"] == "公用设施"
    far = client.get(f"/api/v1/components/{FAR_LIGHT}", headers=admin).json()
    assert far["region_code"] == OTHER_GRID
    english = client.get(
        f"/api/v1/components/{OWN_LIGHT}", headers={**admin, "Accept-Language": "en"}
    ).json()
    assert (english["class_name"], english["status"]) == ("Street light", "damaged")


def test_components_in_another_area_are_invisible(
    client: TestClient, survey: Survey, people: People
):
    seen = {}
    for person in (people.owner, people.peer, people.outsider, people.admin):
        response = client.get("/api/v1/components", headers=auth(client, person))
        assert response.status_code == 200, response.text
        seen[person.username] = [item["code"] for item in response.json()]
        assert response.headers["X-Total-Count"] == str(len(seen[person.username]))
    assert seen["owner"] == seen["peer"] == [OWN_COVER, OWN_LIGHT]
    assert seen["outsider"] == [FAR_LIGHT]
    assert seen["admin"] == [OWN_COVER, OWN_LIGHT, FAR_LIGHT]
    owner = auth(client, people.owner)
    assert client.get(f"/api/v1/components/{FAR_LIGHT}", headers=owner).status_code == 404
    outsider = auth(client, people.outsider)
    assert client.get(f"/api/v1/components/{OWN_COVER}", headers=outsider).status_code == 404


def test_the_register_is_searched_by_code_name_address_and_class(
    client: TestClient, survey: Survey, people: People
):
    admin = auth(client, people.admin)

    def codes(**params: str) -> list[str]:
        response = client.get("/api/v1/components", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [item["code"] for item in response.json()]

    assert codes(q="路灯") == [OWN_LIGHT, FAR_LIGHT]
    assert codes(q="东门路 1") == [OWN_COVER]
    assert codes(q="53052101") == [FAR_LIGHT]
    assert codes(class_code="0117") == [OWN_LIGHT, FAR_LIGHT]
    assert codes(class_code="01", status="damaged") == [OWN_LIGHT]
    assert codes(q="%") == []
    assert (
        client.get("/api/v1/components", params={"class_code": "x"}, headers=admin).status_code
        == 422
    )
    classes = client.get("/api/v1/components/classes").json()
    assert {
        "code": "0101",
        "name": "上水井盖",
        "major_code": "01",
        "major_name": "公用设施",
    } in classes


def test_a_survey_with_bad_rows_reports_each_and_stores_nothing(
    client: TestClient, db: Session, city: City, people: People, tmp_path: Path
):
    lng, lat = city.point_in(OWN_GRID)
    far_lng, far_lat = city.point_in(OTHER_GRID)
    rows = [
        ["5305020101000009", "好的", lng, lat, "", ""],
        ["530502010100001", "少一位", lng, lat, "", ""],
        ["5305029901000001", "无此大类", lng, lat, "", ""],
        ["5305210101000002", "区县不符", lng, lat, "", ""],
        ["5305210101000003", "辖区外", far_lng, far_lat, "", ""],
        ["5305020101000009", "重复", lng, lat, "", ""],
        ["5305020101000010", "状态不明", lng, lat, "", "很好"],
    ]
    path = write_csv(tmp_path / "部件.csv", rows, HEADINGS)
    with path.open("rb") as handle:
        response = client.post(
            "/api/v1/components/import",
            headers=auth(client, people.owner),
            files={"file": (path.name, handle, "text/csv")},
        )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows_read"], report["imported"], report["skipped"]) == (7, 0, 6)
    assert {(error["row"], error["code"]) for error in report["errors"]} == {
        (3, "component_code_format"),
        (4, "component_code_class"),
        (5, "component_code_outside_division"),
        (6, "registry_import_out_of_scope"),
        (7, "registry_import_repeated"),
        (8, "registry_import_choice_unknown"),
    }
    assert all(error["message"] for error in report["errors"])
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Component)) == 0
    peer = auth(client, people.peer)
    with path.open("rb") as handle:
        refused = client.post(
            "/api/v1/components/import", headers=peer, files={"file": (path.name, handle)}
        )
    assert refused.status_code == 403


def test_a_case_reported_about_a_component_shows_it_and_takes_its_point(
    client: TestClient, survey: Survey, people: People
):
    owner = auth(client, people.owner)
    reported = client.post(
        "/api/v1/cases",
        json={"description": "井盖缺失，有人差点踩空", "component_code": OWN_COVER},
        headers=owner,
    )
    assert reported.status_code == 201, reported.text
    case = reported.json()
    assert case["grid_code"] == OWN_GRID
    assert case["component"]["code"] == OWN_COVER
    assert case["component"]["class_name"] == "上水井盖"
    peer = auth(client, people.peer)
    shown = client.get(f"/api/v1/cases/{case['number']}", headers=peer).json()
    assert shown["component"]["name"] == "上水井盖"
    unknown = client.post(
        "/api/v1/cases",
        json={"description": "路灯不亮", "component_code": "5305020117999999"},
        headers=owner,
    )
    assert unknown.status_code == 422
    assert "5305020117999999" in unknown.json()["error"]["message"]
    # A reporter names only what their own area holds: nobody's area holds nothing.
    anonymous = client.post(
        "/api/v1/cases", json={"description": "井盖缺失", "component_code": OWN_COVER}
    )
    assert anonymous.status_code == 422


def test_staff_link_a_case_to_a_component_of_their_area(
    client: TestClient, survey: Survey, people: People
):
    lng, lat = survey.city.point_in(OWN_GRID)
    owner = auth(client, people.owner)
    number = client.post(
        "/api/v1/cases", json={"description": "路灯不亮", "lng": lng, "lat": lat}, headers=owner
    ).json()["number"]
    assert client.get(f"/api/v1/cases/{number}", headers=owner).json()["component"] is None
    linked = client.put(
        f"/api/v1/cases/{number}/component", json={"code": OWN_LIGHT}, headers=owner
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["component"]["code"] == OWN_LIGHT
    foreign = client.put(
        f"/api/v1/cases/{number}/component", json={"code": FAR_LIGHT}, headers=owner
    )
    assert foreign.status_code == 422
    outsider = auth(client, people.outsider)
    hidden = client.put(
        f"/api/v1/cases/{number}/component", json={"code": FAR_LIGHT}, headers=outsider
    )
    assert hidden.status_code == 404
    cleared = client.put(f"/api/v1/cases/{number}/component", json={"code": None}, headers=owner)
    assert cleared.json()["component"] is None
