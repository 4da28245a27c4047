"""The routing preview tells which rule a sample case meets and where it would go."""

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.cases import routing
from civicgrid.categories.seeds import seed_builtin
from tests.factories import OTHER_GRID, OWN_DISTRICT, OWN_GRID, People, auth

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def table(db: Session, people: People) -> None:
    seed_builtin(db)
    auth_service.create_department(
        db, code="530502-urban", name="城管局", kind="urban_management", region_code=OWN_DISTRICT
    )
    routing.create_rule(
        db, routing.RuleIn(name="热线到区", target_level="district", channel="hotline_12345")
    )
    routing.create_rule(
        db,
        routing.RuleIn(
            name="城管事项", target_level="district", department_kind="urban_management"
        ),
    )
    db.commit()


def test_a_hotline_sample_meets_the_first_rule_and_goes_to_the_district(client, people, table):
    body = {"region_code": OWN_GRID, "channel": "hotline_12345"}
    response = client.post(
        "/api/v1/routing-rules/preview", json=body, headers=auth(client, people.owner)
    )
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["rule"]["name"] == "热线到区"
    assert found["handling_region_code"] == OWN_DISTRICT
    assert found["handling_region_name"] == f"区{OWN_DISTRICT}"
    assert "热线到区" in found["reason"]


def test_a_resident_sample_falls_to_the_next_rule_and_its_department(client, people, table):
    body = {"region_code": OWN_GRID, "channel": "resident"}
    response = client.post(
        "/api/v1/routing-rules/preview", json=body, headers=auth(client, people.admin)
    )
    found = response.json()
    assert found["rule"]["name"] == "城管事项"
    assert found["department_name"] == "城管局"


def test_the_preview_of_another_district_is_refused(client, people, table):
    body = {"region_code": OTHER_GRID, "channel": "resident"}
    response = client.post(
        "/api/v1/routing-rules/preview", json=body, headers={**auth(client, people.owner), **ZH}
    )
    assert response.status_code == 403
    assert "管辖范围" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"region_code": OWN_GRID, "channel": "pigeon"},
        {"region_code": OWN_GRID, "channel": "resident", "priority": "panic"},
        {"region_code": OWN_GRID, "channel": "resident", "category_code": "NO-SUCH"},
        {"region_code": "999999999", "channel": "resident"},
        {"region_code": "<b>", "channel": "resident"},
        {"channel": "resident"},
    ],
)
def test_malformed_samples_are_refused_in_chinese(client, people, table, body):
    response = client.post(
        "/api/v1/routing-rules/preview", json=body, headers={**auth(client, people.admin), **ZH}
    )
    assert 400 <= response.status_code < 500
    assert any("\u4e00" <= char <= "\u9fff" for char in response.json()["error"]["message"])
