"""The grid worker's own lists in the field app: mine, to verify, returned to me."""

import pytest

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.factories import OTHER_GRID, OWN_GRID, PASSWORD, AuthedUser, People, auth

REPORT = "小区门口井盖缺失，晚上很危险"


def move(client, number: str, person, to: str, **extra):
    response = client.post(
        f"/api/v1/cases/{number}/transitions",
        json={"to": to, **extra},
        headers=auth(client, person),
    )
    assert response.status_code == 200, response.text


def tab(client, person, name: str) -> list[str]:
    response = client.get("/api/v1/field/cases", params={"tab": name}, headers=auth(client, person))
    assert response.status_code == 200, response.text
    return [case["number"] for case in response.json()]


def reported_by(client, city, person) -> str:
    lng, lat = city.point_in(OWN_GRID)
    body = {"description": REPORT, "channel": "grid_worker", "lng": lng, "lat": lat}
    response = client.post("/api/v1/cases", json=body, headers=auth(client, person))
    assert response.status_code == 201, response.text
    return response.json()["number"]


def test_the_worker_s_tabs_follow_their_case_round_the_loop(
    client, city, people: People, loop_people
):
    worker, handler = loop_people["worker"], loop_people["handler"]
    number = reported_by(client, city, worker)
    other = reported_by(client, city, people.peer)
    assert tab(client, worker, "mine") == [number]
    assert tab(client, worker, "returned") == []

    move(client, number, people.owner, "accepted")
    move(client, number, people.owner, "dispatched", department_code="530502-urban")
    move(client, number, handler, "returned", note="不属于本部门职责")
    assert tab(client, worker, "returned") == [number]

    move(client, other, people.owner, "accepted")
    move(client, other, people.owner, "dispatched", department_code="530502-urban")
    move(client, other, handler, "claimed")
    move(client, other, handler, "resolved", note="已补装井盖")
    assert tab(client, worker, "to_verify") == [other]
    assert other not in tab(client, worker, "mine")


def test_another_area_s_worker_sees_none_of_it(client, city, people: People, loop_people, db):
    auth_service.create_user(
        db, username="far-worker", password=PASSWORD, role=Role.GRID_WORKER, scope_code=OTHER_GRID
    )
    db.commit()
    far = AuthedUser("far-worker", PASSWORD, OTHER_GRID, Role.GRID_WORKER)
    reported_by(client, city, loop_people["worker"])
    assert tab(client, far, "mine") == []
    assert tab(client, far, "to_verify") == []


@pytest.mark.parametrize("who", ["owner", "leader"])
def test_the_field_lists_are_the_field_staff_s(client, people: People, who: str):
    response = client.get(
        "/api/v1/field/cases",
        params={"tab": "mine"},
        headers={**auth(client, getattr(people, who)), "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "当前角色无权执行此操作"


def test_an_unknown_tab_is_refused_in_chinese(client, loop_people):
    response = client.get(
        "/api/v1/field/cases",
        params={"tab": "everything"},
        headers={**auth(client, loop_people["worker"]), "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 422
    assert any("\u4e00" <= char <= "\u9fff" for char in response.json()["error"]["message"])
