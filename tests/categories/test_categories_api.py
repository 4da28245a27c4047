"""The category API: a public list for residents, writes for administrators only."""

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from civicgrid import downloads
from civicgrid.categories import reference, seeds
from tests.factories import People, auth, row, workbook

NEW = {
    "code": "UM-01-30",
    "parent_code": "UM-01",
    "name": "共享充电宝乱放",
    "name_en": "Abandoned power banks",
    "risk_class": "city_appearance",
    "default_departments": {"city": "urban_management", "district": "urban_management"},
    "keywords": ["充电宝"],
}
XLSX = downloads.XLSX


@pytest.fixture
def seeded_client(client: TestClient, db: Session) -> TestClient:
    seeds.seed_builtin(db)
    db.commit()
    return client


def test_anyone_may_list_the_active_categories_as_a_list_and_a_tree(seeded_client):
    body = seeded_client.get("/api/v1/categories").json()
    assert len(body["items"]) == len(seeds.builtin_drafts())
    first = body["tree"][0]
    assert first["code"] == "UM-01"
    assert first["categories"][0]["code"] == "UM-01-01"
    assert set(first["categories"][0]["sla_hours"]) == set(reference.SLA_STAGES)


def test_anyone_may_read_one_category_and_the_risk_classes(seeded_client):
    gas = seeded_client.get("/api/v1/categories/UM-04-03").json()
    assert gas["hour_basis"] == "natural"
    assert gas["risk_class"] == "gas"
    risks = seeded_client.get("/api/v1/categories/risk-classes").json()
    assert len(risks) == 29
    assert {"code": "gas", "name": "燃气安全"}.items() <= risks[1].items()
    assert seeded_client.get("/api/v1/categories/NOPE").status_code == 404


def test_an_administrator_creates_changes_and_deactivates_a_category(seeded_client, people):
    admin = auth(seeded_client, people.admin)
    created = seeded_client.post("/api/v1/categories", json=NEW, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["sla_hours"]["resolve"] == 8  # the group's minor profile
    changed = seeded_client.put(
        "/api/v1/categories/UM-01-30", json={"sla_hours": {"resolve": 4}}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["sla_hours"]["resolve"] == 4
    assert changed.json()["keywords"] == ["充电宝"]
    gone = seeded_client.delete("/api/v1/categories/UM-01-30", headers=admin)
    assert gone.json()["active"] is False
    listed = seeded_client.get("/api/v1/categories").json()["items"]
    assert "UM-01-30" not in {item["code"] for item in listed}
    everything = seeded_client.get(
        "/api/v1/categories", params={"include_inactive": True}, headers=admin
    ).json()["items"]
    assert "UM-01-30" in {item["code"] for item in everything}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/categories", NEW),
        ("PUT", "/api/v1/categories/UM-01-01", {"name": "x"}),
        ("DELETE", "/api/v1/categories/UM-01-01", None),
        ("GET", "/api/v1/categories/export.xlsx", None),
    ],
)
def test_writes_are_for_administrators_only(seeded_client, people: People, method, path, body):
    anonymous = seeded_client.request(method, path, json=body)
    assert anonymous.status_code == 401
    dispatcher = seeded_client.request(
        method, path, json=body, headers=auth(seeded_client, people.owner)
    )
    assert dispatcher.status_code == 403
    assert dispatcher.json()["error"]["code"] == "role_not_allowed"
    assert seeded_client.get("/api/v1/categories/UM-01-01").json()["name"] == "暴露垃圾"


def test_inactive_categories_are_listed_for_administrators_only(seeded_client, people):
    response = seeded_client.get(
        "/api/v1/categories",
        params={"include_inactive": True},
        headers=auth(seeded_client, people.leader),
    )
    assert response.status_code == 403


def test_a_refusal_is_explained_in_chinese_by_default_and_in_english_on_request(
    seeded_client, people
):
    admin = auth(seeded_client, people.admin)
    bad = NEW | {"parent_code": "UM-01-01"}
    zh = seeded_client.post("/api/v1/categories", json=bad, headers=admin)
    assert zh.status_code == 422
    assert zh.json()["error"] == {
        "code": "category_parent_not_group",
        "message": "上级分类 UM-01-01 不是一级分类：分类只有两级",
    }
    en = seeded_client.post(
        "/api/v1/categories", json=bad, headers=admin | {"Accept-Language": "en"}
    )
    assert en.json()["error"]["message"] == (
        "Parent category UM-01-01 is not a level-1 group: there are only two levels"
    )
    hours = seeded_client.post(
        "/api/v1/categories",
        json=NEW | {"sla_hours": {"resolve": -1}},
        headers=admin | {"Accept-Language": "en"},
    )
    assert hours.status_code == 422
    assert 'Time limit -1.0 for stage "resolve" is invalid' in hours.json()["error"]["message"]


def test_a_duplicate_code_is_a_conflict(seeded_client, people):
    response = seeded_client.post(
        "/api/v1/categories",
        json=NEW | {"code": "UM-01-01"},
        headers=auth(seeded_client, people.admin),
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "分类编码 UM-01-01 已存在"


def test_an_administrator_exports_and_imports_a_workbook(seeded_client, people):
    admin = auth(seeded_client, people.admin)
    exported = seeded_client.get("/api/v1/categories/export.xlsx", headers=admin)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    assert sheet.max_row == len(seeds.builtin_drafts()) + 1
    content = workbook([row(code="UM-01-40")])
    imported = seeded_client.post(
        "/api/v1/categories/import", files={"file": ("c.xlsx", content, XLSX)}, headers=admin
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() | {"errors": None} == {
        "file": "c.xlsx",
        "read": 1,
        "created": 1,
        "updated": 0,
        "errors": None,
    }
    assert seeded_client.get("/api/v1/categories/UM-01-40").status_code == 200


def test_a_refused_import_lists_row_errors_in_the_callers_language_and_stores_nothing(
    seeded_client, people
):
    admin = auth(seeded_client, people.admin)
    content = workbook([row(code="UM-01-41"), row(code="UM-01-42", sla_hours__accept="soon")])
    response = seeded_client.post(
        "/api/v1/categories/import",
        files={"file": ("c.xlsx", content, XLSX)},
        headers=admin | {"Accept-Language": "en"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "category_import_refused"
    assert error["message"] == "The file has 1 errors; no category was imported"
    assert error["report"]["errors"] == [
        {
            "row": 3,
            "column": "Accept within (hours)",
            "code": "cell_number_expected",
            "message": 'Expected a number, found "soon"',
        }
    ]
    assert seeded_client.get("/api/v1/categories/UM-01-41").status_code == 404


def test_import_is_for_administrators_only(seeded_client, people):
    files = {"file": ("c.xlsx", workbook([row()]), XLSX)}
    assert seeded_client.post("/api/v1/categories/import", files=files).status_code == 401
    response = seeded_client.post(
        "/api/v1/categories/import", files=files, headers=auth(seeded_client, people.owner)
    )
    assert response.status_code == 403
