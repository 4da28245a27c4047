"""Filing under the taxonomy in force: pages are offered its categories only, a new case is
refused any other, administrators still manage every category, old cases keep theirs."""

import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AdminChange
from civicgrid.auth.models import Role
from civicgrid.auth.service import create_api_key
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories import in_force
from civicgrid.categories.seeds import seed_builtin
from civicgrid.categories.taxonomy import list_categories
from civicgrid.errors import Invalid
from civicgrid.geo.service import GridIndex
from tests.categories.conftest import ADMIN
from tests.factories import (
    GOVERNMENT_MUNICIPAL,
    OWN_GRID,
    City,
    People,
    actor,
    auth,
    put_government_taxonomy_in_force,
    sign_in,
)

STREET_LIGHT = "UM-03-03"  # 路灯故障, a built-in category


@pytest.fixture
def government(db: Session, city: City, tmp_path: Path) -> Session:
    put_government_taxonomy_in_force(db, tmp_path)
    return db


def municipal_code(db: Session) -> str:
    return next(c.code for c in list_categories(db) if c.name == GOVERNMENT_MUNICIPAL)


def file_case(db: Session, city: City, category: str | None, text: str = "路灯不亮") -> str:
    lng, lat = city.point_in(OWN_GRID)
    intake = Intake(description=text, channel="resident", lng=lng, lat=lat, category_code=category)
    case, _ = report_case(db, GridIndex(), intake=intake, actor=actor(Role.RESIDENT, "530500"))
    db.commit()
    return case.number


def test_filing_offers_the_government_categories_each_after_its_group(government: Session):
    offered = in_force.categories_in_force(government)
    assert offered, "the government categories are offered"
    assert all(category.code.startswith("GOV-") for category in offered)
    codes = [category.code for category in offered]
    for category in offered:
        if category.parent_code is not None:
            assert codes.index(category.parent_code) < codes.index(category.code)
    groups = {category.name for category in offered if category.parent_code is None}
    assert groups == {"城乡建设", "环境保护", "政法"}


def test_the_built_in_taxonomy_in_force_offers_none_of_the_government_categories(
    government: Session,
):
    in_force.set_taxonomy_in_force(government, actor=ADMIN, choice="builtin")
    offered = in_force.categories_in_force(government)
    assert STREET_LIGHT in {category.code for category in offered}
    assert not any(category.code.startswith("GOV-") for category in offered)


def test_every_active_category_is_offered_while_all_are_in_force(government: Session):
    in_force.set_taxonomy_in_force(government, actor=ADMIN, choice="all")
    assert in_force.categories_in_force(government) == list_categories(government)


def test_a_new_case_is_refused_a_category_outside_the_taxonomy_in_force(
    government: Session, city: City
):
    with pytest.raises(Invalid) as refused:
        file_case(government, city, STREET_LIGHT)
    assert refused.value.code == "category_not_in_force"
    assert "路灯故障" in refused.value.message("zh-CN")
    government.rollback()
    number = file_case(government, city, municipal_code(government))
    assert number


def test_the_platform_puts_a_taxonomy_in_force_through_the_same_check_and_log(
    db: Session, city: City
):
    assert in_force.put_taxonomy_in_force(db, choice="government") == "government"
    with pytest.raises(Invalid):
        in_force.put_taxonomy_in_force(db, choice="mine")
    db.commit()
    logged = db.scalars(select(AdminChange).where(AdminChange.action == "taxonomy_in_force")).all()
    assert [(row.actor, json.loads(row.before), json.loads(row.after)) for row in logged] == [
        ("system", {"choice": "all"}, {"choice": "government"})
    ]


def test_the_public_list_holds_only_the_taxonomy_in_force(client: TestClient, government: Session):
    listed = client.get("/api/v1/categories")
    assert listed.status_code == 200
    body = listed.json()
    assert body["items"]
    assert all(item["code"].startswith("GOV-") for item in body["items"])
    municipal = next(g for g in body["tree"] if g["name"] == "城乡建设")
    assert GOVERNMENT_MUNICIPAL in [c["name"] for c in municipal["categories"]]


def test_administrators_managing_the_taxonomy_still_see_every_category(
    client: TestClient, people: People, government: Session
):
    admin = auth(client, people.admin)
    every = client.get("/api/v1/categories?include_inactive=true", headers=admin).json()
    codes = {item["code"] for item in every["items"]}
    assert STREET_LIGHT in codes
    assert municipal_code(government) in codes
    exported = client.get("/api/v1/categories/export.xlsx", headers=admin)
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    exported_codes = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {STREET_LIGHT, municipal_code(government)} <= exported_codes
    assert sign_in(client, people.admin.username, people.admin.password).status_code == 303
    assert "新案件只能归入当前使用的分类体系中的分类" in client.get("/admin").text


def test_filing_through_the_api_under_a_category_not_in_force_is_refused_in_chinese(
    client: TestClient, people: People, government: Session, city: City
):
    lng, lat = city.point_in(OWN_GRID)
    body = {"description": "路灯不亮", "channel": "resident", "lng": lng, "lat": lat}
    owner = auth(client, people.owner)
    refused = client.post(
        "/api/v1/cases", json=body | {"category_code": STREET_LIGHT}, headers=owner
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "category_not_in_force"
    assert error["message"] == (
        "分类“路灯故障”（UM-03-03）不属于本市当前使用的分类体系，不能再用于新案件；"
        "请改选当前分类，或不选分类由系统建议"
    )
    filed = client.post(
        "/api/v1/cases",
        json=body | {"category_code": municipal_code(government)},
        headers=owner,
    )
    assert filed.status_code == 201, filed.text


def test_an_integration_is_refused_the_same_and_told_in_english_when_it_asks(
    client: TestClient, government: Session, city: City
):
    _, key = create_api_key(government, name="12345 热线", scope_code=city.code)
    government.commit()
    lng, lat = city.point_in(OWN_GRID)
    refused = client.post(
        "/api/v1/cases",
        json={
            "description": "路灯不亮",
            "channel": "hotline_12345",
            "lng": lng,
            "lat": lat,
            "category_code": STREET_LIGHT,
        },
        headers={"X-API-Key": key, "Accept-Language": "en"},
    )
    assert refused.status_code == 422, refused.text
    assert "not in the taxonomy the city has in force" in refused.json()["error"]["message"]


def test_an_old_case_keeps_its_category_and_shows_its_name_after_the_switch(
    client: TestClient, people: People, db: Session, city: City, tmp_path: Path
):
    seed_builtin(db)
    number = file_case(db, city, STREET_LIGHT)
    put_government_taxonomy_in_force(db, tmp_path)
    shown = client.get(f"/api/v1/cases/{number}", headers=auth(client, people.owner))
    assert shown.status_code == 200, shown.text
    assert (shown.json()["category_code"], shown.json()["category_name"]) == (
        STREET_LIGHT,
        "路灯故障",
    )
    assert client.get(f"/api/v1/categories/{STREET_LIGHT}").json()["name"] == "路灯故障"
