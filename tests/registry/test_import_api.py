"""Uploading register files and downloading masked exports over HTTP."""

import io
from multiprocessing import active_children
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.registry.models import Resident
from tests.factories import OTHER_GRID, OWN_GRID, City, id_number, resident, write_csv


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": "correct-horse-42"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def upload(
    client: TestClient, path: Path, username: str = "admin", **fields: str
) -> dict[str, Any]:
    with path.open("rb") as handle:
        response = client.post(
            "/api/v1/registry/imports",
            headers=login(client, username),
            files={"file": (path.name, handle, "text/csv")},
            data={"kind": "residents", **fields},
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def residents(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Resident)) or 0


def test_an_upload_returns_the_row_report_in_chinese(
    client: TestClient, db: Session, tmp_path: Path
):
    path = write_csv(tmp_path / "人口.csv", [resident(1), resident(2, number="5.30502E+17")])
    report = upload(client, path)

    assert report["file"] == "人口.csv"
    assert (report["rows_read"], report["imported"], report["skipped"]) == (2, 0, 1)
    assert report["refused"] is True
    assert report["errors"] == [
        {
            "row": 3,
            "column": "公民身份号码",
            "column_key": "id_number",
            "code": "id_number_excel_mangled",
            "message": report["errors"][0]["message"],
        }
    ]
    assert "Excel" in report["errors"][0]["message"]
    assert residents(db) == 0


def test_skip_bad_rows_and_dry_run_come_from_the_form(
    client: TestClient, db: Session, tmp_path: Path
):
    path = write_csv(tmp_path / "p.csv", [resident(1), resident(2, number="bad")])
    checked = upload(client, path, dry_run="true")
    skipped = upload(client, path, skip_bad_rows="on")

    assert (checked["dry_run"], checked["imported"], checked["error_count"]) == (True, 0, 1)
    assert (skipped["imported"], skipped["skipped"], skipped["refused"]) == (1, 1, False)
    assert residents(db) == 1


def test_an_outsider_s_upload_for_another_area_is_refused_row_by_row(
    client: TestClient, db: Session, tmp_path: Path
):
    path = write_csv(tmp_path / "p.csv", [resident(1, grid=OWN_GRID)])
    report = upload(client, path, username="outsider")
    assert [error["code"] for error in report["errors"]] == ["registry_import_out_of_scope"]
    assert residents(db) == 0


def test_a_leader_may_not_import_and_a_wrong_kind_is_a_translated_422(
    client: TestClient, tmp_path: Path
):
    path = write_csv(tmp_path / "p.csv", [resident(1)])
    with path.open("rb") as handle:
        forbidden = client.post(
            "/api/v1/registry/imports",
            headers=login(client, "leader"),
            files={"file": ("p.csv", handle, "text/csv")},
            data={"kind": "residents"},
        )
        wrong = client.post(
            "/api/v1/registry/imports",
            headers=login(client, "admin"),
            files={"file": ("p.csv", handle, "text/csv")},
            data={"kind": "pets"},
        )
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "registry_import_forbidden"
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "validation"


def test_the_export_is_masked_and_limited_to_the_actor_s_area(
    client: TestClient, city: City, tmp_path: Path
):
    rows = [
        resident(1, household="H1", address="正阳北路1号", care="残疾人"),
        resident(2, grid=OTHER_GRID),
    ]
    assert upload(client, write_csv(tmp_path / "p.csv", rows))["imported"] == 2

    def export(username: str) -> list[tuple[object, ...]]:
        response = client.get(
            "/api/v1/registry/exports/residents.xlsx", headers=login(client, username)
        )
        assert response.status_code == 200, response.text
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]

    everything = export("admin")
    own_only = export("owner")
    cells = " ".join(str(cell) for row in everything for cell in row)

    assert everything[0][:3] == ("姓名", "公民身份号码", "联系电话")
    assert len(everything) == 3
    assert [row[9] for row in own_only[1:]] == [OWN_GRID]
    for serial in (1, 2):
        assert id_number(serial) not in cells
        assert f"1391234{serial:04d}" not in cells
    assert own_only[1][1] == id_number(1)[:4] + "*" * 10 + id_number(1)[-4:]
    assert own_only[1][2] == "139****0001"
    assert own_only[1][7] == "残疾人"
    assert len(export("outsider")) == 2


def test_owner_and_contact_phones_are_masked_in_exports(client: TestClient, tmp_path: Path):
    housing = write_csv(
        tmp_path / "f.csv",
        [["正阳北路1号", "住宅", "自住", "周八", "13987654321", OWN_GRID]],
        ["地址", "房屋用途", "居住方式", "房主姓名", "房主电话", "网格编码"],
    )
    assert upload(client, housing, kind="housing")["imported"] == 1

    response = client.get("/api/v1/registry/exports/housing.xlsx", headers=login(client, "owner"))
    rows = list(
        load_workbook(io.BytesIO(response.content), read_only=True)
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[1][:5] == ("住宅", "自住", None, "周八", "139****4321")
    assert "13987654321" not in str(rows)


def test_the_report_speaks_english_when_asked(client: TestClient, tmp_path: Path):
    path = write_csv(tmp_path / "p.csv", [resident(1, number="5.30502E+17")])
    with path.open("rb") as handle:
        response = client.post(
            "/api/v1/registry/imports",
            headers={**login(client, "admin"), "Accept-Language": "en"},
            files={"file": ("p.csv", handle, "text/csv")},
            data={"kind": "residents"},
        )
    error = response.json()["errors"][0]
    assert error["column"] == "ID number"
    assert "Excel" in error["message"]


def test_a_file_past_the_interactive_row_limit_is_sent_to_the_command_line(
    client: TestClient, db: Session, tmp_path: Path, settings: Any
):
    client.app.state.settings = settings.model_copy(update={"import_max_rows": 3})  # type: ignore[attr-defined]
    path = write_csv(tmp_path / "人口.csv", [resident(n) for n in range(1, 5)])

    with path.open("rb") as handle:
        response = client.post(
            "/api/v1/registry/imports",
            headers=login(client, "admin"),
            files={"file": (path.name, handle, "text/csv")},
            data={"kind": "residents"},
        )

    assert response.status_code == 413
    assert "civicgrid registry import" in response.json()["error"]["message"]
    assert residents(db) == 0


def test_an_upload_handed_to_a_reading_process_stores_and_reports_as_one_read_in_the_server(
    client: TestClient, db: Session, tmp_path: Path, handed_over_settings: Any
):
    client.app.state.settings = handed_over_settings  # type: ignore[attr-defined]
    path = write_csv(tmp_path / "人口.csv", [resident(1), resident(2, grid="530502001001099")])
    refused = upload(client, path)
    assert [(error["row"], error["code"]) for error in refused["errors"]] == [
        (3, "registry_import_area_unknown")
    ]
    assert residents(db) == 0

    stored = upload(client, path, skip_bad_rows="true")
    assert (stored["imported"], stored["skipped"]) == (1, 1)
    assert residents(db) == 1
    assert [child for child in active_children() if child.name == "civicgrid-import-reader"] == []
