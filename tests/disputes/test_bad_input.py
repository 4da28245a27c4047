"""Bad input gets a 422 with a message in the caller's language, never a 500."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.disputes.conftest import COMMUNITY, parties, walk_in
from tests.factories import PASSWORD, AuthedUser, People, auth

CASES = {
    "negative amount": (walk_in(amount="-1"), "validation", "不能小于", "at least"),
    "unknown type": (walk_in(kind="gossip"), "validation", "取值应为", "one of"),
    "no parties": (walk_in(parties=[]), "validation", "输入有误", "Invalid input"),
    "bad phone": (walk_in(parties=parties(phone="12345")), "phone_invalid", "手机", "mobile"),
    "bad credit code": (
        walk_in(parties=parties(kind="organisation", credit_code="91530502MA6K2L3P0X")),
        "credit_code",
        "信用代码",
        "credit code",
    ),
    "bad id number": (
        walk_in(parties=parties(id_number="530502194501011230")),
        "id_number",
        "身份",
        "ID number",
    ),
    "street as area": (
        walk_in(region_code="530502001"),
        "dispute_region_level",
        "网格或社区",
        "grid or community",
    ),
    "no area": (
        walk_in(region_code=None),
        "dispute_region_required",
        "网格或社区",
        "grid or community",
    ),
    "case without number": (
        walk_in(source="case"),
        "dispute_case_required",
        "事件编号",
        "case number",
    ),
    "referral without body": (
        walk_in(source="referral"),
        "dispute_referrer_required",
        "转来单位",
        "referred",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_dispute_input_is_refused_in_chinese_and_english(
    client: TestClient, people: People, name: str
):
    body, code, chinese, english = CASES[name]
    headers = auth(client, people.owner)
    zh = client.post("/api/v1/disputes", json=body, headers=headers)
    en = client.post("/api/v1/disputes", json=body, headers={**headers, "Accept-Language": "en"})
    assert zh.status_code == en.status_code == 422, zh.text
    assert zh.json()["error"]["code"].startswith(code)
    assert chinese in zh.json()["error"]["message"]
    assert english in en.json()["error"]["message"]


def test_a_community_code_places_a_dispute_without_a_grid(client: TestClient, people: People):
    response = client.post(
        "/api/v1/disputes", json=walk_in(region_code=COMMUNITY), headers=auth(client, people.owner)
    )
    assert response.status_code == 201, response.text
    assert response.json()["region_code"] == COMMUNITY


def test_a_resident_may_not_register_a_dispute(client: TestClient, people: People, db: Session):
    auth_service.create_user(
        db, username="citizen", password=PASSWORD, role=Role.RESIDENT, scope_code=COMMUNITY
    )
    db.commit()
    citizen = AuthedUser("citizen", PASSWORD, COMMUNITY, Role.RESIDENT)
    response = client.post("/api/v1/disputes", json=walk_in(), headers=auth(client, citizen))
    assert response.status_code == 403
