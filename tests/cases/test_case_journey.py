"""The whole loop over HTTP, each step by the right role in the right place (issue 3, done means).

A resident reports with a GCJ-02 point and a photo; the case is located, classified,
routed with its reason, accepted and dispatched by the street's dispatcher, claimed
and resolved with evidence by the department, verified by the grid worker, closed,
and rated by the resident with the phone they gave. A wrong role gets 403 and an
outsider 404 at every step that matters.
"""

import base64

import httpx
import pytest

from civicgrid.geo.crs import Crs, from_wgs84
from tests.factories import AuthedUser, City, People, auth, picture

pytestmark = pytest.mark.usefixtures("photo_dir")  # photos land in the test's own folder

GRID = "530502001001001"
PHONE = "13800001234"


def move(client, number: str, person: AuthedUser, to: str, **extra) -> httpx.Response:
    return client.post(
        f"/api/v1/cases/{number}/transitions",
        json={"to": to, **extra},
        headers=auth(client, person),
    )


def test_a_resident_report_goes_round_the_whole_loop(
    client, city: City, people: People, loop_people
):
    wgs_lng, wgs_lat = city.point_in(GRID)
    lng, lat = from_wgs84(wgs_lng, wgs_lat, Crs.GCJ02)
    photo = base64.b64encode(picture(point=None)).decode()
    reported = client.post(
        "/api/v1/cases",
        json={
            "description": "小区门口井盖缺失，晚上很危险",
            "channel": "resident",
            "lng": lng,
            "lat": lat,
            "crs": "gcj02",
            "reporter_phone": PHONE,
            "photos": [photo],
        },
    )
    assert reported.status_code == 201, reported.text
    case = reported.json()
    number = case["number"]
    assert case["grid_code"] == GRID
    assert case["category_code"] == "UM-03-01"
    assert case["routing_rule_id"] is not None or case["routed_department_id"] is not None
    assert case["routing_explanation"]
    assert case["sla_light"] == "green"

    handler, worker = loop_people["handler"], loop_people["worker"]
    # Before it is dispatched to their department, a handler cannot even read the case.
    assert move(client, number, handler, "accepted").status_code == 404
    assert move(client, number, people.outsider, "accepted").status_code == 404
    assert move(client, number, people.owner, "accepted").status_code == 200
    dispatched = move(client, number, people.owner, "dispatched", department_code="530502-urban")
    assert dispatched.status_code == 200, dispatched.text
    assert move(client, number, worker, "claimed").status_code == 403
    assert move(client, number, handler, "claimed").status_code == 200

    unproven = move(client, number, handler, "resolved")
    assert unproven.status_code == 422
    evidence = client.post(
        f"/api/v1/cases/{number}/photos",
        files=[("files", ("done.jpg", picture(colour="blue"), "image/jpeg"))],
        headers=auth(client, handler),
    )
    assert evidence.status_code == 201, evidence.text
    assert move(client, number, handler, "resolved").status_code == 200
    verified = move(client, number, worker, "verified", note="现场核查：井盖已补装")
    assert verified.status_code == 200, verified.text
    assert move(client, number, people.owner, "closed").status_code == 200

    wrong_phone = client.post(
        f"/api/v1/cases/{number}/rating", json={"rating": 5, "phone": "13900000000"}
    )
    assert wrong_phone.status_code == 404
    rated = client.post(f"/api/v1/cases/{number}/rating", json={"rating": 5, "phone": PHONE})
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "rated"

    history = client.get(f"/api/v1/cases/{number}/actions", headers=auth(client, people.owner))
    assert [step["to_status"] for step in history.json()] == [
        "reported",
        "accepted",
        "dispatched",
        "claimed",
        "resolved",
        "verified",
        "closed",
        "rated",
    ]
    assert (
        client.get(f"/api/v1/cases/{number}", headers=auth(client, people.outsider)).status_code
        == 404
    )
