"""Acknowledging alarms and dismissing false ones: counted per device, which is flagged
when it cries wolf; a case the alarm opened stays with the dispatcher."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.service import DeviceChanges, update_device
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases.models import Case
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from tests.alarms.conftest import Registered
from tests.factories import OWN_DISTRICT, PASSWORD, AuthedUser, People, auth

LIMIT = 2  # more than this many false alarms in the period flag a device


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        data_dir=tmp_path / "var",
        false_alarm_limit=LIMIT,
    )


def alarm(client: TestClient, device: Registered, event_id: str, kind: str = "smoke") -> dict:
    response = client.post(
        "/api/v1/alarms",
        json={"alarms": [{"event_id": event_id, "type": kind}]},
        headers=device.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()[0]


def dismiss(client: TestClient, person: AuthedUser, alarm_id: int, **body: object):
    sent = {"reason": "environment", "note": "厨房油烟", **body}
    return client.post(
        f"/api/v1/alarms/{alarm_id}/dismiss", json=sent, headers=auth(client, person)
    )


def health(client: TestClient, person: AuthedUser) -> dict[str, dict]:
    response = client.get("/api/v1/devices/health", headers=auth(client, person))
    assert response.status_code == 200, response.text
    return {row["code"]: row for row in response.json()}


def test_a_dismissed_alarm_keeps_its_reason_and_its_case_stays_for_the_dispatcher(
    client: TestClient, db: Session, smoke_sensor: Registered, people: People
):
    taken = alarm(client, smoke_sensor, "e-1")
    assert taken["outcome"] == "opened_case"
    case = db.scalar(select(Case).where(Case.number == taken["case_number"]))
    assert case is not None
    before = (case.status, case.version)
    response = dismiss(client, people.owner, taken["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["dismiss_reason"], body["dismiss_note"]) == ("environment", "厨房油烟")
    assert body["dismissed_at"] is not None
    assert body["acknowledged_at"] is not None
    assert body["case_number"] == taken["case_number"]
    db.refresh(case)
    assert (case.status, case.version) == before
    again = dismiss(client, people.owner, taken["id"])
    assert again.status_code == 409
    assert again.json()["error"]["message"] == f"告警 {taken['id']} 已作为误报排除"
    listed = client.get("/api/v1/alarms", headers=auth(client, people.owner)).json()
    assert listed[0]["dismiss_reason"] == "environment"


def test_acknowledging_keeps_the_first_time_and_a_dismissed_alarm_is_not_acknowledged(
    client: TestClient, smoke_sensor: Registered, people: People
):
    first = alarm(client, smoke_sensor, "e-1", "low_battery")
    owner = auth(client, people.owner)
    seen = client.post(f"/api/v1/alarms/{first['id']}/acknowledge", headers=owner)
    assert seen.status_code == 200, seen.text
    again = client.post(f"/api/v1/alarms/{first['id']}/acknowledge", headers=owner)
    assert again.json()["acknowledged_at"] == seen.json()["acknowledged_at"]
    assert dismiss(client, people.owner, first["id"], reason="test").status_code == 200
    late = client.post(f"/api/v1/alarms/{first['id']}/acknowledge", headers=owner)
    assert late.status_code == 409


def test_dismissing_needs_a_known_reason_and_a_note_for_other(
    client: TestClient, smoke_sensor: Registered, people: People
):
    taken = alarm(client, smoke_sensor, "e-1", "low_battery")
    unknown = dismiss(client, people.owner, taken["id"], reason="bored")
    assert unknown.status_code == 422
    assert "输入有误" in unknown.json()["error"]["message"]
    bare = dismiss(client, people.owner, taken["id"], reason="other", note="  ")
    assert bare.status_code == 422
    assert bare.json()["error"]["message"] == "排除原因为“其他”时请填写说明"
    long = dismiss(client, people.owner, taken["id"], note="长" * 501)
    assert long.json()["error"]["message"] == "说明过长：最多 500 个字符"
    english = client.post(
        f"/api/v1/alarms/{taken['id']}/dismiss",
        json={"reason": "other"},
        headers={**auth(client, people.owner), "Accept-Language": "en"},
    )
    assert english.json()["error"]["message"] == 'Say what happened when the reason is "other"'
    nul = dismiss(client, people.owner, taken["id"], note="油烟\x00")
    assert nul.status_code == 422
    assert dismiss(client, people.owner, 10**6).status_code == 404


def test_only_the_centre_of_the_alarms_area_handles_it(
    client: TestClient, smoke_sensor: Registered, far_sensor: Registered, people: People
):
    own = alarm(client, smoke_sensor, "e-1", "low_battery")
    assert dismiss(client, people.outsider, own["id"]).status_code == 404
    assert dismiss(client, people.peer, own["id"]).status_code == 403
    assert dismiss(client, people.leader, own["id"]).status_code == 403
    assert dismiss(client, people.admin, own["id"]).status_code == 200


def test_a_device_with_more_false_alarms_than_the_limit_is_flagged_and_counted_faulty(
    client: TestClient,
    db: Session,
    smoke_sensor: Registered,
    far_sensor: Registered,
    people: People,
):
    for number in range(LIMIT):
        taken = alarm(client, smoke_sensor, f"e-{number}", "low_battery")
        assert dismiss(client, people.owner, taken["id"]).status_code == 200
    flagged = client.get("/api/v1/devices/flagged", headers=auth(client, people.owner))
    assert flagged.json() == []
    assert health(client, people.owner)[OWN_DISTRICT]["flagged"] == 0
    taken = alarm(client, smoke_sensor, "e-last", "intrusion")
    assert dismiss(client, people.owner, taken["id"]).status_code == 200
    flagged = client.get("/api/v1/devices/flagged", headers=auth(client, people.owner)).json()
    assert [(item["code"], item["false_alarms"]) for item in flagged] == [
        (smoke_sensor.code, LIMIT + 1)
    ]
    district = health(client, people.owner)[OWN_DISTRICT]
    assert (district["online"], district["flagged"], district["faulty"]) == (1, 1, 1)
    assert district["name"] == f"区{OWN_DISTRICT}"
    outsider = client.get("/api/v1/devices/flagged", headers=auth(client, people.outsider))
    assert outsider.json() == []


def test_health_counts_each_district_of_the_area_and_a_fault_report_makes_a_device_faulty(
    client: TestClient, smoke_sensor: Registered, far_sensor: Registered, people: People
):
    alarm(client, far_sensor, "v-1", "low_battery")
    city = health(client, people.leader)
    assert set(city) == {OWN_DISTRICT, "530521"}
    assert (city["530521"]["faulty"], city["530521"]["flagged"]) == (1, 0)
    assert (city[OWN_DISTRICT]["offline"], city[OWN_DISTRICT]["faulty"]) == (1, 0)
    assert set(health(client, people.outsider)) == {"530521"}
    assert set(health(client, people.owner)) == {OWN_DISTRICT}


def test_a_flagged_device_is_listed_for_its_owner_department_only(
    client: TestClient, db: Session, smoke_sensor: Registered, people: People
):
    for name in ("fire", "water"):
        auth_service.create_department(
            db, code=f"530502-{name}", name=name, kind=name, region_code=OWN_DISTRICT
        )
        auth_service.create_user(
            db,
            username=f"h.{name}",
            password=PASSWORD,
            role=Role.DEPARTMENT_HANDLER,
            scope_code=OWN_DISTRICT,
            department_code=f"530502-{name}",
        )
    update_device(
        db,
        console_actor(),
        grid_index=GridIndex(),
        code=smoke_sensor.code,
        changes=DeviceChanges(department_code="530502-fire"),
    )
    db.commit()
    for number in range(LIMIT + 1):
        taken = alarm(client, smoke_sensor, f"e-{number}", "low_battery")
        assert dismiss(client, people.owner, taken["id"]).status_code == 200
    listed = {}
    for name in ("fire", "water"):
        handler = AuthedUser(f"h.{name}", PASSWORD, OWN_DISTRICT, Role.DEPARTMENT_HANDLER)
        response = client.get("/api/v1/devices/flagged", headers=auth(client, handler))
        assert response.status_code == 200, response.text
        listed[name] = [item["code"] for item in response.json()]
    assert listed == {"fire": [smoke_sensor.code], "water": []}
