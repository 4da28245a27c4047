"""The device registry over HTTP: kept by the centre inside its area, read by the area's staff."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import Device
from civicgrid.audit.log import verify_changes
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.alarms.conftest import CAMERA_CODE, SMOKE_CODE, Registered
from tests.factories import OTHER_GRID, OWN_GRID, PASSWORD, AuthedUser, City, People, auth


def register(client: TestClient, headers: dict[str, str], city: City, **changes: object):
    lng, lat = city.point_in(OWN_GRID)
    body = {"code": CAMERA_CODE, "kind": "camera", "name": "路口摄像机", "lng": lng, "lat": lat}
    return client.post("/api/v1/devices", json={**body, **changes}, headers=headers)


def test_a_dispatcher_registers_a_camera_into_its_grid_and_sees_its_key_once(
    client: TestClient, db: Session, city: City, people: People
):
    owner = auth(client, people.owner)
    made = register(client, owner, city)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["device"]["region_code"] == OWN_GRID
    assert body["device"]["status"] == "offline"
    key = body["key"]
    assert key.startswith("cgd_")
    stored = db.scalar(select(Device).where(Device.code == CAMERA_CODE))
    assert stored is not None
    assert key not in stored.key_hash
    assert stored.key_hash.startswith("$7$")
    shown = client.get(f"/api/v1/devices/{CAMERA_CODE}", headers=owner).json()
    assert "key" not in shown
    assert "key_hash" not in shown


def test_staff_read_their_areas_devices_and_an_outsider_finds_none(
    client: TestClient, city: City, people: People, far_sensor: Registered
):
    assert register(client, auth(client, people.owner), city).status_code == 201
    listed = {}
    for person in (people.admin, people.owner, people.peer, people.leader, people.outsider):
        response = client.get("/api/v1/devices", headers=auth(client, person))
        assert response.status_code == 200, response.text
        listed[person.username] = {item["code"] for item in response.json()}
    assert listed["admin"] == listed["leader"] == {CAMERA_CODE, far_sensor.code}
    assert listed["owner"] == listed["peer"] == {CAMERA_CODE}
    assert listed["outsider"] == {far_sensor.code}
    outsider = auth(client, people.outsider)
    assert client.get(f"/api/v1/devices/{CAMERA_CODE}", headers=outsider).status_code == 404


def test_roles_without_devices_are_refused_and_readers_cannot_write(
    client: TestClient, db: Session, city: City, people: People, smoke_sensor: Registered
):
    auth_service.create_user(
        db, username="worker", password=PASSWORD, role=Role.GRID_WORKER, scope_code=OWN_GRID
    )
    db.commit()
    worker = auth(client, AuthedUser("worker", PASSWORD, OWN_GRID, Role.GRID_WORKER))
    assert client.get("/api/v1/devices", headers=worker).status_code == 403
    assert client.get("/api/v1/alarms", headers=worker).status_code == 403
    assert register(client, worker, city).status_code == 403
    assert client.get("/api/v1/devices").status_code == 401
    peer = auth(client, people.peer)
    assert register(client, peer, city).status_code == 403
    rename = {"name": "改名"}
    patched = client.patch(f"/api/v1/devices/{smoke_sensor.code}", json=rename, headers=peer)
    assert patched.status_code == 403
    assert client.delete(f"/api/v1/devices/{smoke_sensor.code}", headers=peer).status_code == 403
    assert client.post(f"/api/v1/devices/{smoke_sensor.code}/key", headers=peer).status_code == 403


def test_a_dispatcher_cannot_place_a_device_outside_its_area(
    client: TestClient, city: City, people: People
):
    lng, lat = city.point_in(OTHER_GRID)
    other = {"code": "53052100081326000009", "lng": lng, "lat": lat}
    refused = register(client, auth(client, people.owner), city, **other)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "device_outside_jurisdiction"


def test_bad_codes_and_places_are_refused_in_the_callers_language(
    client: TestClient, city: City, people: People
):
    admin = auth(client, people.admin)
    short = register(client, admin, city, code="1234")
    assert short.status_code == 422
    assert short.json()["error"]["message"] == "设备编码“1234”应为 20 位数字（GB/T 28181）"
    english = register(client, {**admin, "Accept-Language": "en"}, city, code="1234")
    assert english.json()["error"]["message"] == 'Device code "1234" must be 20 digits (GB/T 28181)'
    as_sensor = register(client, admin, city, kind="sos_button")
    assert as_sensor.json()["error"]["code"] == "device_code_kind_mismatch"
    far_centre = register(client, admin, city, code="53052100081326000002")
    assert far_centre.json()["error"]["code"] == "device_code_outside_centre"
    at_sea = register(client, admin, city, lng=120.0, lat=30.0)
    assert at_sea.status_code == 422
    assert at_sea.json()["error"]["code"] == "device_outside_city"
    assert "不在本市任何网格内" in at_sea.json()["error"]["message"]
    assert register(client, admin, city, lng=500).status_code == 422
    assert register(client, admin, city, kind="drone").status_code == 422
    assert register(client, admin, city).status_code == 201
    taken = register(client, admin, city)
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "device_code_taken"


def test_a_device_is_moved_renamed_disabled_and_deleted_only_inside_the_area(
    client: TestClient, city: City, people: People, smoke_sensor: Registered
):
    owner = auth(client, people.owner)
    path = f"/api/v1/devices/{smoke_sensor.code}"
    moved_to = dict(zip(("lng", "lat"), city.point_in(f"{OWN_GRID[:-3]}002"), strict=True))
    changed = client.patch(path, json={"name": "烟感二号", "location": moved_to}, headers=owner)
    assert changed.status_code == 200, changed.text
    assert changed.json()["region_code"] == f"{OWN_GRID[:-3]}002"
    assert changed.json()["name"] == "烟感二号"
    disabled = client.patch(path, json={"enabled": False}, headers=owner)
    assert disabled.json()["status"] == "disabled"
    outsider = auth(client, people.outsider)
    assert client.patch(path, json={"name": "x"}, headers=outsider).status_code == 404
    assert client.delete(path, headers=outsider).status_code == 404
    assert client.delete(path, headers=owner).status_code == 204
    assert client.get(path, headers=owner).status_code == 404


def test_rotating_a_key_stops_the_old_one(
    client: TestClient, people: People, smoke_sensor: Registered
):
    rotated = client.post(f"/api/v1/devices/{SMOKE_CODE}/key", headers=auth(client, people.owner))
    assert rotated.status_code == 200
    new_key = rotated.json()["key"]
    heartbeat = "/api/v1/devices/heartbeat"
    assert client.post(heartbeat, headers=smoke_sensor.headers).status_code == 401
    fresh = {"X-Device-Code": SMOKE_CODE, "X-Device-Key": new_key}
    assert client.post(heartbeat, headers=fresh).status_code == 204


def test_device_changes_go_to_the_change_log_without_the_key(
    client: TestClient, db: Session, city: City, people: People
):
    owner = auth(client, people.owner)
    made = register(client, owner, city)
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    path = f"/api/v1/devices/{CAMERA_CODE}"
    assert client.patch(path, json={"enabled": False}, headers=owner).status_code == 200
    rotated = client.post(f"{path}/key", headers=owner)
    assert rotated.status_code == 200, rotated.text
    assert client.delete(path, headers=owner).status_code == 204

    changes = client.get(
        "/api/v1/admin/audit", params={"kind": "device"}, headers=auth(client, people.leader)
    )

    assert changes.status_code == 200, changes.text
    entries = changes.json()
    assert [entry["action"] for entry in entries] == ["delete", "rotate_key", "update", "create"]
    assert {entry["region_code"] for entry in entries} == {OWN_GRID}
    assert entries[2]["before"]["status"] == "offline"
    assert entries[2]["after"]["status"] == "disabled"
    assert entries[0]["after"] is None
    for secret in (key, rotated.json()["key"], "$7$"):
        assert secret not in changes.text
    assert verify_changes(db).problems == []
