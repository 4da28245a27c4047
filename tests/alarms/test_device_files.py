"""Devices in bulk over HTTP: an import that stores all rows or none, and the area's export."""

import io
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.alarms.models import Device
from civicgrid.audit.log import verify_changes
from civicgrid.auth import service as auth_service
from tests.alarms.conftest import FAR_SENSOR_CODE, SMOKE_CODE, Registered
from tests.factories import OTHER_GRID, OWN_DISTRICT, OWN_GRID, City, People, auth, write_csv

HEADINGS = ["设备编码", "设备类型", "设备名称", "经度", "纬度", "地址", "权属部门编码"]
CAMERA = "53050200081326000011"
SMOKE = "53050200081346000012"
FOREIGN = "53052100081346000013"


def workbook(tmp_path: Path, rows: list[list[object]], name: str = "设备.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["感知设备登记表"])  # a title line above the headings, as offices write them
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def upload(
    client: TestClient, headers: dict[str, str], path: Path, **fields: str
) -> tuple[int, dict[str, Any]]:
    with path.open("rb") as handle:
        response = client.post(
            "/api/v1/devices/import",
            headers=headers,
            files={"file": (path.name, handle, "application/octet-stream")},
            data=fields,
        )
    return response.status_code, response.json()


def stored(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Device)) or 0


def good_rows(city: City) -> list[list[object]]:
    lng, lat = city.point_in(OWN_GRID)
    return [
        [CAMERA, "摄像机", "东门路口摄像机", lng, lat, "东门路 1 号", "UM-OWN"],
        [SMOKE, "烟感", "社区活动室烟感", f"{lng:.6f}", f"{lat:.6f}", "", ""],
    ]


def test_a_dispatcher_imports_a_workbook_of_devices_and_gets_each_key_once(
    client: TestClient, db: Session, city: City, people: People, tmp_path: Path
):
    auth_service.create_department(
        db, code="UM-OWN", name="城管局", kind="urban", region_code=OWN_DISTRICT
    )
    db.commit()
    owner = auth(client, people.owner)
    status, report = upload(client, owner, workbook(tmp_path, good_rows(city)))
    assert status == 200, report
    assert (report["rows_read"], report["imported"], report["error_count"]) == (2, 2, 0)
    assert report["kind"] == "devices"
    keys = {item["code"]: item for item in report["keys"]}
    assert set(keys) == {CAMERA, SMOKE}
    assert keys[CAMERA]["name"] == "东门路口摄像机"
    assert keys[CAMERA]["address"] == "东门路 1 号"
    camera = db.scalar(select(Device).where(Device.code == CAMERA))
    assert camera is not None
    assert (camera.kind, camera.region_code, camera.status) == ("camera", OWN_GRID, "offline")
    assert camera.department_id is not None
    assert keys[CAMERA]["key"] not in camera.key_hash
    heartbeat = client.post(
        "/api/v1/devices/heartbeat",
        headers={"X-Device-Code": SMOKE, "X-Device-Key": keys[SMOKE]["key"]},
    )
    assert heartbeat.status_code == 204
    audit = client.get(
        "/api/v1/admin/audit", params={"kind": "device"}, headers=auth(client, people.admin)
    )
    assert {entry["target"] for entry in audit.json() if entry["action"] == "import"} == {
        CAMERA,
        SMOKE,
    }
    assert verify_changes(db).problems == []


def test_a_file_with_bad_rows_reports_each_by_row_and_stores_nothing(
    client: TestClient, db: Session, city: City, people: People, tmp_path: Path
):
    lng, lat = city.point_in(OWN_GRID)
    far_lng, far_lat = city.point_in(OTHER_GRID)
    rows = [
        good_rows(city)[1],
        ["5305020008132600001", "摄像机", "少一位", lng, lat, "", ""],
        ["53050200081346000014", "摄像机", "类型码不符", lng, lat, "", ""],
        [FOREIGN, "烟感", "外区烟感", far_lng, far_lat, "", ""],
        [SMOKE, "烟感", "重复编码", lng, lat, "", ""],
        ["53050200081346000015", "烟感", "无此部门", lng, lat, "", "NO-SUCH"],
        ["53050200081346000016", "冰箱", "未知类型", lng, lat, "", ""],
        ["53050200081346000017", "烟感", "", lat, lng, "", ""],
    ]
    status, report = upload(client, auth(client, people.owner), workbook(tmp_path, rows))
    assert status == 200, report
    assert report["refused"] is True
    assert (report["rows_read"], report["imported"], report["skipped"]) == (8, 0, 7)
    found = {(error["row"], error["column_key"], error["code"]) for error in report["errors"]}
    assert found == {
        (4, "device_code", "device_code_format"),
        (5, "device_code", "device_code_kind_mismatch"),
        (6, "grid_code", "registry_import_out_of_scope"),
        (7, "device_code", "registry_import_repeated"),
        (8, "department_code", "department_not_found"),
        (9, "device_kind", "registry_import_choice_unknown"),
        (10, "device_name", "registry_import_required"),
        (10, "lng", "registry_import_coordinate_range"),
        (10, "lat", "registry_import_coordinate_range"),
    }
    by_row = {error["row"]: error for error in report["errors"]}
    assert by_row[4]["column"] == "设备编码"
    assert "20 位数字" in by_row[4]["message"]
    assert report["keys"] == []
    assert stored(db) == 0
    english = upload(
        client,
        {**auth(client, people.owner), "Accept-Language": "en"},
        workbook(tmp_path, rows),
    )[1]
    assert {error["column"] for error in english["errors"] if error["row"] == 4} == {"Device code"}


def test_a_dry_run_reports_and_stores_nothing(
    client: TestClient, db: Session, city: City, people: People, tmp_path: Path
):
    rows = [[*row[:6], ""] for row in good_rows(city)]
    status, report = upload(
        client, auth(client, people.owner), workbook(tmp_path, rows), dry_run="true"
    )
    assert status == 200, report
    assert (report["dry_run"], report["rows_read"], report["error_count"]) == (True, 2, 0)
    assert report["imported"] == 0
    assert report["keys"] == []
    assert stored(db) == 0


def test_the_export_holds_the_callers_area_and_imports_back_the_same(
    client: TestClient,
    people: People,
    smoke_sensor: Registered,
    far_sensor: Registered,
    tmp_path: Path,
):
    owner = auth(client, people.owner)
    exported = client.get("/api/v1/devices/export.xlsx", headers=owner)
    assert exported.status_code == 200, exported.text
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["设备编码", "设备类型", "设备名称"]
    assert [row[0] for row in rows[1:]] == [SMOKE_CODE]
    assert FAR_SENSOR_CODE not in exported.content.decode("latin-1")

    admin = auth(client, people.admin)
    whole = client.get("/api/v1/devices/export.xlsx", headers=admin)
    before = client.get("/api/v1/devices", headers=admin).json()
    for code in (SMOKE_CODE, FAR_SENSOR_CODE):
        assert client.delete(f"/api/v1/devices/{code}", headers=admin).status_code == 204
    path = tmp_path / "devices.xlsx"
    path.write_bytes(whole.content)
    status, report = upload(client, admin, path)
    assert status == 200, report
    assert (report["imported"], report["error_count"], report["warnings"]) == (2, 0, [])
    after = client.get("/api/v1/devices", headers=admin).json()
    kept = ("code", "kind", "name", "lng", "lat", "region_code", "address", "department_id")
    assert [{key: item[key] for key in kept} for item in after] == [
        {key: item[key] for key in kept} for item in before
    ]


def test_files_that_are_no_device_table_are_refused_with_a_chinese_message(
    client: TestClient, db: Session, people: People, tmp_path: Path
):
    owner = auth(client, people.owner)
    pdf = tmp_path / "设备.pdf"
    pdf.write_bytes(b"%PDF-1.4 not a table")
    broken = tmp_path / "设备.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    old = tmp_path / "设备.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0 an old workbook")
    for path, words in ((pdf, "CSV"), (broken, "无法读取"), (old, ".xls")):
        status, body = upload(client, owner, path)
        assert status == 422, (path.name, body)
        assert words in body["error"]["message"], body
    unrelated = write_csv(tmp_path / "无关.csv", [["1", "2"]], headings=["甲", "乙"])
    status, body = upload(client, owner, unrelated)
    assert status == 422
    assert "表头" in body["error"]["message"]
    huge = tmp_path / "huge.csv"
    huge.write_bytes(b"x" * (8 * 1024 * 1024 + 1))
    status, body = upload(client, owner, huge)
    assert status == 422
    assert "文件过大" in body["error"]["message"]
    many = write_csv(
        tmp_path / "many.csv", [[f"{n:020d}", "烟感", "名"] for n in range(5001)], HEADINGS[:3]
    )
    status, body = upload(client, owner, many)
    assert status == 413
    assert "5000" in body["error"]["message"]
    assert stored(db) == 0


def test_readers_export_and_only_keepers_import(
    client: TestClient, city: City, people: People, tmp_path: Path
):
    peer = auth(client, people.peer)
    assert client.get("/api/v1/devices/export.xlsx", headers=peer).status_code == 200
    status, _ = upload(client, peer, workbook(tmp_path, good_rows(city)))
    assert status == 403
    assert client.get("/api/v1/devices/export.xlsx").status_code == 401
