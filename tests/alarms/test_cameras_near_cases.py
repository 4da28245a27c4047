"""Cameras near a case and their live stream URLs: the caller's cameras around a case they read."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from tests.factories import PASSWORD, AuthedUser, City, People, actor, auth

PLATFORM = "https://video.example.gov.cn"
# The own street (530502001) ends at longitude 99.14, where street 530502002 begins: a
# case just inside it has cameras of both streets within the radius.
CASE_POINT = (99.1395, 25.105)
NEAR = "53050200081326000011"  # ~50 m east, own street
NEARER = "53050200081326000012"  # ~20 m north, own street
FAR = "53050200081326000013"  # ~800 m west, own street, beyond 300 m
NEXT_STREET = "53050200081326000014"  # ~100 m east, in street 530502002
SENSOR = "53050200081346000015"  # not a camera, beside the case


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        data_dir=tmp_path / "var",
        stream_origins=f"{PLATFORM}, https://bad.example.org/with/path",
    )


def _device(
    db: Session, code: str, kind: DeviceKind, point: tuple[float, float], url: str = ""
) -> None:
    data = DeviceInput(
        code=code, kind=kind, name=f"设备{code[-2:]}", spot=Spot(*point), stream_url=url
    )
    register_device(
        db, console_actor(), grid_index=GridIndex(), data=data, stream_origins=(PLATFORM,)
    )


@pytest.fixture
def scene(db: Session, city: City) -> Case:
    lng, lat = CASE_POINT
    _device(db, NEAR, DeviceKind.CAMERA, (lng + 0.0005, lat), f"{PLATFORM}/live/11.m3u8")
    _device(db, NEARER, DeviceKind.CAMERA, (lng, lat + 0.0002))
    _device(db, FAR, DeviceKind.CAMERA, (lng - 0.008, lat))
    _device(db, NEXT_STREET, DeviceKind.CAMERA, (lng + 0.001, lat))
    _device(db, SENSOR, DeviceKind.SMOKE_SENSOR, (lng, lat - 0.0001))
    intake = Intake(description="路口积水", channel="resident", lng=lng, lat=lat)
    case, _ = report_case(db, GridIndex(), intake=intake, actor=actor(Role.RESIDENT, "530500"))
    db.commit()
    return case


def cameras(client: TestClient, person: AuthedUser, number: str, **headers: str):
    return client.get(
        f"/api/v1/cases/{number}/cameras", headers={**auth(client, person), **headers}
    )


def test_the_cameras_near_a_case_come_nearest_first_with_distance_and_stream(
    client: TestClient, scene: Case, people: People
):
    response = cameras(client, people.owner, scene.number)
    assert response.status_code == 200, response.text
    found = response.json()
    assert [camera["code"] for camera in found] == [NEARER, NEAR]
    assert 15 < found[0]["distance_m"] < 30
    assert 40 < found[1]["distance_m"] < 60
    assert found[0]["stream_url"] is None
    assert found[1]["stream_url"] == f"{PLATFORM}/live/11.m3u8"


def test_cameras_of_another_area_are_left_out_though_near(
    client: TestClient, scene: Case, people: People
):
    street = [item["code"] for item in cameras(client, people.owner, scene.number).json()]
    city = [item["code"] for item in cameras(client, people.admin, scene.number).json()]
    assert NEXT_STREET not in street
    assert city == [NEARER, NEAR, NEXT_STREET]


def test_a_case_the_caller_may_not_read_names_no_camera(
    client: TestClient, db: Session, scene: Case, people: People
):
    hidden = cameras(client, people.outsider, scene.number)
    assert hidden.status_code == 404
    assert hidden.json()["error"]["message"] == f"未找到案件 {scene.number}"
    assert NEAR not in hidden.text
    auth_service.create_user(
        db, username="handler", password=PASSWORD, role=Role.DEPARTMENT_HANDLER, scope_code="530502"
    )
    db.commit()
    handler = AuthedUser("handler", PASSWORD, "530502", Role.DEPARTMENT_HANDLER)
    assert cameras(client, handler, scene.number).status_code == 403
    assert cameras(client, people.owner, "NOPE").status_code == 404


def test_a_case_without_a_point_has_no_cameras_near_it(
    client: TestClient, db: Session, scene: Case, people: People
):
    intake = Intake(description="电话反映：噪音扰民", channel="hotline_12345", address="某小区")
    unplaced, _ = report_case(db, GridIndex(), intake=intake, actor=actor(Role.DISPATCHER))
    db.commit()
    response = cameras(client, people.admin, unplaced.number)
    assert response.status_code == 200, response.text
    assert response.json() == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://video.example.gov.cn/a.m3u8", "视频流地址不合法"),
        ("javascript:alert(1)", "视频流地址不合法"),
        ("https://user:pw@video.example.gov.cn/a.m3u8", "视频流地址不合法"),
        (f"{PLATFORM}/a b.m3u8", "视频流地址不合法"),
        (f"{PLATFORM}/{'a' * 500}.m3u8", "视频流地址过长：最多 500 个字符"),
        ("https://elsewhere.example.com/a.m3u8", "未登记为可用来源"),
        ("https://bad.example.org/with/path/a.m3u8", "未登记为可用来源"),
        ("http://video.example.gov.cn/a.m3u8", "未登记为可用来源"),
    ],
)
def test_a_stream_url_the_page_could_not_play_is_refused_in_words(
    client: TestClient, scene: Case, people: People, url: str, message: str
):
    response = client.patch(
        f"/api/v1/devices/{NEARER}", json={"stream_url": url}, headers=auth(client, people.owner)
    )
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]


def test_a_keeper_sets_and_clears_a_cameras_stream_but_not_a_sensors(
    client: TestClient, scene: Case, people: People
):
    owner = auth(client, people.owner)
    url = f"{PLATFORM}/live/12.m3u8?token=abc"
    set_ = client.patch(f"/api/v1/devices/{NEARER}", json={"stream_url": url}, headers=owner)
    assert set_.status_code == 200, set_.text
    assert set_.json()["stream_url"] == url
    listed = cameras(client, people.owner, scene.number).json()
    assert listed[0]["stream_url"] == url
    cleared = client.patch(f"/api/v1/devices/{NEARER}", json={"stream_url": ""}, headers=owner)
    assert cleared.json()["stream_url"] is None
    sensor = client.patch(f"/api/v1/devices/{SENSOR}", json={"stream_url": url}, headers=owner)
    assert sensor.status_code == 422
    assert sensor.json()["error"]["message"] == "只有摄像机可以设置视频流地址"


def test_the_pages_let_media_and_fetches_reach_the_configured_platform_only(
    client: TestClient,
):
    policy = client.get("/login").headers["Content-Security-Policy"]
    parts = {part.split(" ")[0]: part.split(" ")[1:] for part in policy.split("; ")}
    assert parts["media-src"] == ["'self'", "blob:", PLATFORM]
    assert parts["connect-src"] == ["'self'", PLATFORM]
    assert "bad.example.org" not in policy
    assert parts["script-src"] == ["'self'"]
