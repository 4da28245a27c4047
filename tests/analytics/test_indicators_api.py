"""The indicator endpoints over HTTP: the same figures as JSON and as Excel, and clear refusals."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from civicgrid.auth.models import Role
from civicgrid.auth.service import create_user
from tests.analytics.conftest import MARCH_FIRST, MARCH_LAST, Month
from tests.factories import PASSWORD, AuthedUser, People, auth

MARCH = {"from": MARCH_FIRST, "to": MARCH_LAST}


def test_a_leader_gets_every_district_and_a_total(client, people: People, month: Month):
    response = client.get(
        "/api/v1/indicators",
        params={**MARCH, "group": "district"},
        headers=auth(client, people.leader),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [row["key"] for row in body["rows"]] == ["530502", "530521"]
    assert body["rows"][0]["received"] == 4
    assert body["rows"][0]["on_time_dispatch_rate"] == 0.75
    assert body["rows"][0]["closure_rate"] == 0.5
    assert body["total"]["received"] == 5
    assert body["total"]["rejected"] == 1
    assert body["period_start"] == MARCH_FIRST


def test_the_street_dispatcher_and_the_outsider_see_different_numbers(
    client, people: People, month: Month
):
    def received(person: AuthedUser) -> int:
        response = client.get(
            "/api/v1/indicators",
            params={**MARCH, "group": "district"},
            headers=auth(client, person),
        )
        assert response.status_code == 200, response.text
        return int(response.json()["total"]["received"])

    assert (received(people.leader), received(people.owner), received(people.outsider)) == (5, 3, 1)


def test_a_department_handler_sees_its_own_department_only(
    client, db, people: People, month: Month
):
    create_user(
        db,
        username="handler",
        password=PASSWORD,
        role=Role.DEPARTMENT_HANDLER,
        scope_code="530502",
        department_code="530502-urban",
    )
    db.commit()
    handler = AuthedUser("handler", PASSWORD, "530502", Role.DEPARTMENT_HANDLER)
    response = client.get(
        "/api/v1/indicators", params={**MARCH, "group": "department"}, headers=auth(client, handler)
    )
    assert response.status_code == 200, response.text
    assert [row["key"] for row in response.json()["rows"]] == ["530502-urban"]


def test_a_community_worker_is_refused(client, people: People, month: Month):
    response = client.get("/api/v1/indicators", params=MARCH, headers=auth(client, people.peer))
    assert response.status_code == 403


def test_anonymous_callers_must_sign_in(client, month: Month):
    assert client.get("/api/v1/indicators", params=MARCH).status_code == 401


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2025-3-1", "to": MARCH_LAST}, "indicator_date_invalid"),
        ({"from": "2025-02-30", "to": MARCH_LAST}, "indicator_date_invalid"),
        ({"from": MARCH_LAST, "to": MARCH_FIRST}, "indicator_period_reversed"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "indicator_period_too_long"),
        ({**MARCH, "group": "province"}, "validation"),
    ],
)
def test_bad_periods_and_groups_are_refused_with_a_message(client, people: People, params, code):
    response = client.get("/api/v1/indicators", params=params, headers=auth(client, people.leader))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_the_excel_file_has_chinese_headers_a_row_per_group_and_a_total(
    client, people: People, month: Month
):
    response = client.get(
        "/api/v1/indicators.xlsx",
        params={**MARCH, "group": "street"},
        headers=auth(client, people.leader),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("代码", "名称", "上报数")
    assert "按时派遣率" in header
    assert [row[0] for row in rows[1:-1]] == ["530502001", "530502002", "530521001"]
    assert rows[-1][1] == "合计"
    assert rows[-1][2] == 5
    rate = header.index("按时派遣率")
    assert rows[1][rate] == 0.5
    assert sheet.cell(row=2, column=rate + 1).number_format == "0.0%"
