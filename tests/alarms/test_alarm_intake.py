"""Alarms from devices: authenticated by the device's key, stored once, made cases by rule."""

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from civicgrid.alarms.intake import AlarmReport, device_for_code, take_alarm
from civicgrid.alarms.models import Alarm, AlarmOutcome
from civicgrid.auth import service as auth_service
from civicgrid.cases.models import Case
from civicgrid.geo.service import GridIndex
from tests.alarms.conftest import Registered
from tests.factories import OWN_GRID, People, auth

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def post(client: TestClient, device: Registered, *alarms: dict[str, object], **headers: str):
    return client.post(
        "/api/v1/alarms", json={"alarms": list(alarms)}, headers={**device.headers, **headers}
    )


def smoke(event_id: str, **extra: object) -> dict[str, object]:
    return {"event_id": event_id, "type": "smoke", **extra}


def take(db: Session, device: Registered, event_id: str, now: datetime, kind: str = "smoke"):
    report = AlarmReport(event_id=event_id, alarm_type=kind)
    taken = take_alarm(
        db, GridIndex(), device=device_for_code(db, device.code), report=report, now=now
    )
    db.commit()
    return taken


def test_a_smoke_alarm_opens_an_urgent_fire_case_in_the_devices_grid(
    client: TestClient, db: Session, smoke_sensor: Registered, people: People
):
    response = post(client, smoke_sensor, smoke("e-1", detail="三楼走廊烟雾浓度超限"))
    assert response.status_code == 200, response.text
    [taken] = response.json()
    assert taken["new"] is True
    assert taken["outcome"] == "opened_case"
    case = db.scalar(select(Case).where(Case.number == taken["case_number"]))
    assert case is not None
    assert (case.channel, case.priority, case.category_code) == ("device", "urgent", "UM-04-04")
    assert case.region_code == OWN_GRID
    assert "烟感报警" in case.description
    assert smoke_sensor.code in case.description
    shown = client.get(f"/api/v1/cases/{case.number}", headers=auth(client, people.owner))
    assert shown.status_code == 200


def test_the_same_event_sent_again_is_stored_once_and_answered_the_same(
    client: TestClient, db: Session, smoke_sensor: Registered
):
    first = post(client, smoke_sensor, smoke("e-1")).json()[0]
    again = post(client, smoke_sensor, smoke("e-1"), smoke("e-1")).json()
    assert [item["new"] for item in again] == [False, False]
    assert {item["case_number"] for item in again} == {first["case_number"]}
    assert db.scalar(select(text("count(*)")).select_from(Alarm)) == 1
    assert db.scalar(select(text("count(*)")).select_from(Case)) == 1


def test_repeated_alarms_within_the_window_join_one_case_and_later_ones_open_another(
    db: Session, smoke_sensor: Registered
):
    first = take(db, smoke_sensor, "a", AT)
    second = take(db, smoke_sensor, "b", AT + timedelta(minutes=9))
    # The window runs from the last alarm on the case, so a steady alarm keeps one case.
    third = take(db, smoke_sensor, "c", AT + timedelta(minutes=18))
    later = take(db, smoke_sensor, "d", AT + timedelta(minutes=29))
    assert first.alarm.outcome == AlarmOutcome.OPENED_CASE
    assert second.alarm.outcome == third.alarm.outcome == AlarmOutcome.JOINED_CASE
    assert first.alarm.case_number == second.alarm.case_number == third.alarm.case_number
    assert later.alarm.outcome == AlarmOutcome.OPENED_CASE
    assert later.alarm.case_number != first.alarm.case_number


def test_another_type_from_the_same_device_opens_its_own_case_and_some_types_open_none(
    db: Session, smoke_sensor: Registered
):
    fire = take(db, smoke_sensor, "a", AT)
    tamper = take(db, smoke_sensor, "b", AT, kind="tamper")
    battery = take(db, smoke_sensor, "c", AT, kind="low_battery")
    assert tamper.alarm.case_number not in {None, fire.alarm.case_number}
    assert battery.alarm.outcome == AlarmOutcome.RECORDED
    assert battery.alarm.case_number is None


def test_identity_fields_a_device_sends_are_never_stored(
    client: TestClient, db: Session, smoke_sensor: Registered
):
    alarm = smoke(
        "e-1",
        detail="报警人手机 13912345678",
        sub_label="张三",
        plate="云M12345",
        attributes={
            "sub_label": ["李四", 0.93],
            "License Plate": "云M12345",
            "face_id": "f-778",
            "zone": "三楼走廊",
            "person_count": 2,
            "camera": {
                "recognised_name": "王五",
                "score": 0.8,
                "note": "身份证 530502198001010012",
            },
            "姓名": "赵六",
        },
    )
    stored = post(client, smoke_sensor, alarm).json()[0]
    assert stored["attributes"] == {
        "zone": "三楼走廊",
        "person_count": 2,
        "camera": {"score": 0.8, "note": "身份证 5305**********0012"},
    }
    assert "13912345678" not in stored["detail"]
    everything = json.dumps(
        [list(row) for row in db.execute(text("SELECT * FROM alarms"))], default=str
    ) + json.dumps([list(row) for row in db.execute(text("SELECT * FROM cases"))], default=str)
    for identity in (
        "张三",
        "李四",
        "王五",
        "赵六",
        "云M12345",
        "f-778",
        "13912345678",
        "19800101",
    ):
        assert identity not in everything


def test_only_a_devices_own_key_posts_alarms(
    client: TestClient, db: Session, smoke_sensor: Registered, people: People
):
    bearer = auth(client, people.admin)
    assert (
        client.post("/api/v1/alarms", json={"alarms": [smoke("x")]}, headers=bearer).status_code
        == 401
    )
    _, raw = auth_service.create_api_key(db, name="热线", scope_code="530500")
    db.commit()
    api_key = {"X-API-Key": raw}
    assert (
        client.post("/api/v1/alarms", json={"alarms": [smoke("x")]}, headers=api_key).status_code
        == 401
    )
    wrong = Registered(code=smoke_sensor.code, key="cgd_wrong", grid=OWN_GRID)
    refused = post(client, wrong, smoke("x"))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_device_key"
    nobody = Registered(code="53050200081346999999", key=smoke_sensor.key, grid=OWN_GRID)
    assert post(client, nobody, smoke("x")).status_code == 401
    switched_off = {"enabled": False}
    owner = auth(client, people.owner)
    client.patch(f"/api/v1/devices/{smoke_sensor.code}", json=switched_off, headers=owner)
    assert post(client, smoke_sensor, smoke("x")).status_code == 403
    assert db.scalar(select(text("count(*)")).select_from(Alarm)) == 0


def test_a_batch_with_an_unknown_type_or_bad_field_stores_nothing(
    client: TestClient, db: Session, smoke_sensor: Registered
):
    unknown = post(client, smoke_sensor, smoke("a"), {"event_id": "b", "type": "ufo"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["items"][0]["index"] == 1
    single = post(
        client, smoke_sensor, {"event_id": "b", "type": "ufo"}, **{"Accept-Language": "en"}
    )
    assert single.json()["error"]["message"].startswith('Unknown alarm type "ufo"')
    assert (
        post(client, smoke_sensor, smoke("c", occurred_at="2026-12-07T10:00:00")).status_code == 422
    )
    assert post(client, smoke_sensor, smoke("d", value="NaN")).status_code == 422
    assert post(client, smoke_sensor, smoke("")).status_code == 422
    assert post(client, smoke_sensor, smoke("sp ace")).status_code == 422
    assert post(client, smoke_sensor, smoke("e", detail="a\u0000b")).status_code == 422
    assert (
        client.post("/api/v1/alarms", json={"alarms": []}, headers=smoke_sensor.headers).status_code
        == 422
    )
    assert db.scalar(select(text("count(*)")).select_from(Alarm)) == 0
    assert db.scalar(select(text("count(*)")).select_from(Case)) == 0


def test_the_alarm_list_shows_each_area_its_own_alarms(
    client: TestClient, smoke_sensor: Registered, far_sensor: Registered, people: People
):
    assert post(client, smoke_sensor, smoke("s-1"), smoke("s-2")).status_code == 200
    water = {"event_id": "w-1", "type": "water_level_high", "value": 1.8}
    assert post(client, far_sensor, water).status_code == 200
    seen = {}
    for person in (people.admin, people.owner, people.outsider, people.leader):
        response = client.get("/api/v1/alarms", headers=auth(client, person))
        seen[person.username] = [item["event_id"] for item in response.json()]
        assert response.headers["X-Total-Count"] == str(len(seen[person.username]))
    assert sorted(seen["admin"]) == sorted(seen["leader"]) == ["s-1", "s-2", "w-1"]
    assert sorted(seen["owner"]) == ["s-1", "s-2"]
    assert seen["outsider"] == ["w-1"]
    admin = auth(client, people.admin)
    page = client.get(
        "/api/v1/alarms", params={"limit": 1, "device": smoke_sensor.code}, headers=admin
    )
    assert page.headers["X-Total-Count"] == "2"
    assert len(page.json()) == 1
    by_type = client.get("/api/v1/alarms", params={"type": "water_level_high"}, headers=admin)
    assert [item["value"] for item in by_type.json()] == [1.8]


def test_the_alarm_list_since_a_time_leaves_out_older_alarms(
    client: TestClient, db: Session, smoke_sensor: Registered, people: People
):
    take(db, smoke_sensor, "old", AT - timedelta(hours=3))
    take(db, smoke_sensor, "new", AT)
    admin = auth(client, people.admin)
    since = client.get(
        "/api/v1/alarms", params={"since": "2026-12-07T09:00:00+08:00"}, headers=admin
    )
    assert since.status_code == 200, since.text
    assert [item["event_id"] for item in since.json()] == ["new"]
    assert since.headers["X-Total-Count"] == "1"
    earlier = client.get("/api/v1/alarms", params={"since": "2026-12-06T00:00:00Z"}, headers=admin)
    assert [item["event_id"] for item in earlier.json()] == ["new", "old"]


def test_a_since_that_is_no_time_or_has_no_zone_is_refused_with_a_message(
    client: TestClient, smoke_sensor: Registered, people: People
):
    admin = auth(client, people.admin)
    for bad in ("yesterday", "2026-13-40T00:00:00Z", "2026-12-07T08:00:00", ""):
        response = client.get("/api/v1/alarms", params={"since": bad}, headers=admin)
        assert response.status_code == 422, bad
        assert "带时区的时间" in response.json()["error"]["message"] or (
            "时间须带时区" in response.json()["error"]["message"]
        ), bad
    english = client.get(
        "/api/v1/alarms", params={"since": "soon"}, headers={**admin, "Accept-Language": "en"}
    )
    assert "time with its zone" in english.json()["error"]["message"]
