"""The registry over HTTP: masked in every response, reveals audited, each role in its area,
bad input answered with a translated 4xx."""

import re
from typing import Protocol

import pytest
from fastapi.testclient import TestClient

from tests.factories import City, People, auth
from tests.registry.conftest import (
    LI,
    OTHER_DISTRICT_GRID,
    OWN_COMMUNITY,
    OWN_GRID,
    WANG,
    WANG_PHONE,
    ZHAO,
    Registry,
    credit_code,
    id_number,
)

API = "/api/v1/registry"
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
FULL_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


class Answer(Protocol):
    """What the checks read of a test client's response, whichever HTTP library made it."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...


def shows_no_full_number(response: Answer) -> None:
    assert response.status_code in {200, 201}, response.text
    assert not FULL_ID.search(response.text)
    assert not FULL_MOBILE.search(response.text)


def resident_body(city: City, number: str, **extra: object) -> dict[str, object]:
    lng, lat = city.point_in(OWN_GRID)
    return {
        "name": "孙丽",
        "id_number": number,
        "phone": "13700001234",
        "residence_kind": "floating",
        "address": {"address": "正阳北路18号2栋1单元302室", "lng": lng, "lat": lat},
        "care_groups": ["left_behind_child"],
        **extra,
    }


def test_a_resident_is_created_and_answered_masked(client: TestClient, city: City, people: People):
    number = id_number("53050220150601002")
    response = client.post(
        f"{API}/residents", json=resident_body(city, number), headers=auth(client, people.peer)
    )
    assert response.status_code == 201, response.text
    shows_no_full_number(response)
    body = response.json()
    assert body["document_number"] == number[:4] + "*" * 10 + number[-4:]
    assert body["phone"] == "137****1234"
    assert body["birth_year"] == 2015
    assert body["address"] == "正阳北路18号2栋1单元302室"
    assert body["region_code"] == OWN_GRID
    assert body["care_groups"] == ["left_behind_child"]
    assert "sex" not in body
    assert "birth_date" not in body


def test_every_read_endpoint_is_masked(client: TestClient, registry: Registry, people: People):
    headers = auth(client, people.admin)
    wang = registry.wang.id
    for query in (
        {"document_number": WANG},
        {"phone": WANG_PHONE},
        {"community": OWN_COMMUNITY, "name": "王"},
        {"address": "正阳北路"},
    ):
        response = client.get(f"{API}/residents", params=query, headers=headers)
        shows_no_full_number(response)
        assert wang in [row["id"] for row in response.json()]
    shows_no_full_number(client.get(f"{API}/residents/{wang}", headers=headers))
    household = client.get(f"{API}/households", params={"number": "H0001"}, headers=headers)
    shows_no_full_number(household)
    assert [member["id"] for member in household.json()["members"]] == [wang]
    shows_no_full_number(client.get(f"{API}/addresses", params={"q": "正阳"}, headers=headers))
    care = client.get(
        f"{API}/care-members", params={"care_group": "lonely_elderly"}, headers=headers
    )
    shows_no_full_number(care)
    assert [row["resident_id"] for row in care.json()] == [wang]


def test_housing_and_organisations_are_masked(client: TestClient, city: City, people: People):
    headers = auth(client, people.peer)
    lng, lat = city.point_in(OWN_GRID)
    place = {"address": "正阳北路30号", "lng": lng, "lat": lat}
    housing = client.post(
        f"{API}/housing",
        json={"address": place, "tenure": "rented", "owner_phone": "13511112222"},
        headers=headers,
    )
    shows_no_full_number(housing)
    assert housing.json()["owner_phone"] == "135****2222"
    shows_no_full_number(client.get(f"{API}/housing/{housing.json()['id']}", headers=headers))
    organisation = client.post(
        f"{API}/organisations",
        json={
            "name": "正阳商贸",
            "credit_code": credit_code(),
            "address": place,
            "contact_phone": "13522223333",
        },
        headers=headers,
    )
    shows_no_full_number(organisation)
    found = client.get(f"{API}/organisations", params={"name": "正阳"}, headers=headers)
    shows_no_full_number(found)
    assert [row["contact_phone"] for row in found.json()] == ["135****3333"]


def test_a_second_organisation_with_the_same_credit_code_is_a_conflict(
    client: TestClient, city: City, people: People
):
    lng, lat = city.point_in(OWN_GRID)
    body = {
        "name": "正阳商贸",
        "credit_code": credit_code(),
        "address": {"address": "正阳北路30号", "lng": lng, "lat": lat},
    }
    headers = auth(client, people.peer)
    assert client.post(f"{API}/organisations", json=body, headers=headers).status_code == 201
    again = client.post(f"{API}/organisations", json=body, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "registry_organisation_exists"
    assert credit_code() in again.json()["error"]["message"]


def test_a_reveal_shows_the_value_once_and_the_leader_reads_the_audit(
    client: TestClient, registry: Registry, people: People
):
    response = client.post(
        f"{API}/residents/{registry.wang.id}/reveal",
        json={"field": "document_number", "reason": "核实低保申请人身份"},
        headers=auth(client, people.peer),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"field": "document_number", "value": WANG}
    audit = client.get(f"{API}/reveals", headers=auth(client, people.leader))
    assert audit.status_code == 200
    [record] = audit.json()
    assert (record["username"], record["subject_kind"], record["subject_id"]) == (
        "peer",
        "resident",
        registry.wang.id,
    )
    assert record["reason"] == "核实低保申请人身份"
    assert client.get(f"{API}/reveals", headers=auth(client, people.peer)).status_code == 403
    assert client.get(f"{API}/reveals", headers=auth(client, people.outsider)).status_code == 403


@pytest.mark.parametrize(
    ("username", "status"), [("outsider", 404), ("leader", 403), ("owner", 403)]
)
def test_who_may_not_reveal_is_refused_and_nothing_is_recorded(
    client: TestClient, registry: Registry, people: People, username: str, status: int
):
    person = getattr(people, username)
    response = client.post(
        f"{API}/residents/{registry.wang.id}/reveal",
        json={"field": "phone", "reason": "想看看号码"},
        headers=auth(client, person),
    )
    assert response.status_code == status
    assert client.get(f"{API}/reveals", headers=auth(client, people.admin)).json() == []


def test_a_reveal_without_a_real_reason_is_refused_in_the_callers_language(
    client: TestClient, registry: Registry, people: People
):
    headers = {**auth(client, people.peer), "Accept-Language": "en"}
    response = client.post(
        f"{API}/residents/{registry.wang.id}/reveal",
        json={"field": "phone", "reason": "看看"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("Seeing the full value needs a reason")


def names_seen(client: TestClient, person, community: str = OWN_COMMUNITY) -> set[str]:
    headers = auth(client, person)
    shown: set[str] = set()
    for prefix in ("王", "李", "赵"):
        for code in (community, OTHER_DISTRICT_GRID[:12]):
            response = client.get(
                f"{API}/residents", params={"community": code, "name": prefix}, headers=headers
            )
            assert response.status_code == 200, response.text
            shown |= {row["name"] for row in response.json()}
    return shown


def test_each_role_sees_its_own_area(client: TestClient, registry: Registry, people: People):
    everyone = {"王小明", "李华", "赵强"}
    assert names_seen(client, people.admin) == everyone
    assert names_seen(client, people.leader) == everyone
    assert names_seen(client, people.owner) == {"王小明", "李华"}
    assert names_seen(client, people.outsider) == {"赵强"}


def test_an_outsider_finds_nothing_of_another_district(
    client: TestClient, registry: Registry, people: People
):
    headers = auth(client, people.outsider)
    for query in ({"document_number": WANG}, {"phone": WANG_PHONE}, {"address": "正阳北路"}):
        response = client.get(f"{API}/residents", params=query, headers=headers)
        assert response.json() == []
    assert client.get(f"{API}/residents/{registry.wang.id}", headers=headers).status_code == 404
    assert (
        client.get(f"{API}/households", params={"number": "H0001"}, headers=headers).status_code
        == 404
    )
    assert client.get(f"{API}/addresses", params={"q": "正阳"}, headers=headers).json() == []
    own = client.get(f"{API}/residents", params={"document_number": ZHAO}, headers=headers)
    assert [row["id"] for row in own.json()] == [registry.zhao.id]


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-CN", "校验位不符"), ("en", "fails its check character")]
)
def test_a_mistyped_id_number_is_refused_with_a_translated_message(
    client: TestClient, city: City, people: People, language: str, expected: str
):
    mistyped = LI[:-1] + ("0" if LI[-1] != "0" else "1")
    response = client.post(
        f"{API}/residents",
        json=resident_body(city, mistyped),
        headers={**auth(client, people.peer), "Accept-Language": language},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "id_number_checksum"
    assert expected in response.json()["error"]["message"]
    assert mistyped not in response.text


def test_an_id_number_excel_turned_into_a_number_is_refused(
    client: TestClient, city: City, people: People
):
    response = client.post(
        f"{API}/residents",
        json=resident_body(city, "5.30502E+17"),
        headers=auth(client, people.peer),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "id_number_excel_mangled"
    assert "Excel" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-CN", "无法定位"), ("en", "cannot be placed")]
)
def test_an_address_in_no_grid_without_a_region_is_refused(
    client: TestClient, city: City, people: People, language: str, expected: str
):
    body = resident_body(
        city,
        id_number("53050220150601002"),
        address={"address": "无名路1号", "lng": 120.0, "lat": 30.0},
    )
    response = client.post(
        f"{API}/residents",
        json=body,
        headers={**auth(client, people.admin), "Accept-Language": language},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "registry_address_unlocated"
    assert expected in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "query",
    [{}, {"community": "530502001", "name": "王"}, {"phone": "12345"}, {"document_number": "1234"}],
)
def test_a_search_without_a_usable_criterion_is_a_422(
    client: TestClient, people: People, query: dict[str, str]
):
    response = client.get(f"{API}/residents", params=query, headers=auth(client, people.owner))
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_a_grid_worker_registers_inside_their_grid_only(
    client: TestClient, city: City, people: People, worker
):
    headers = auth(client, worker)
    inside = client.post(
        f"{API}/residents",
        json=resident_body(city, id_number("53050220150601002")),
        headers=headers,
    )
    assert inside.status_code == 201, inside.text
    lng, lat = city.point_in(OTHER_DISTRICT_GRID)
    outside = client.post(
        f"{API}/residents",
        json=resident_body(
            city,
            id_number("53050220150601010"),
            address={"address": "保岫东路9号", "lng": lng, "lat": lat},
        ),
        headers=headers,
    )
    assert outside.status_code == 403
    assert outside.json()["error"]["code"] == "registry_outside_jurisdiction"


def test_a_leader_reads_but_does_not_write(client: TestClient, city: City, people: People):
    headers = auth(client, people.leader)
    response = client.post(
        f"{API}/residents",
        json=resident_body(city, id_number("53050220150601002")),
        headers=headers,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "registry_role_not_allowed"


def test_an_update_changes_what_was_sent_and_stays_masked(
    client: TestClient, registry: Registry, people: People
):
    response = client.patch(
        f"{API}/residents/{registry.li.id}",
        json={"phone": "13911112222", "care_groups": ["disabled"]},
        headers=auth(client, people.peer),
    )
    shows_no_full_number(response)
    body = response.json()
    assert body["phone"] == "139****2222"
    assert body["care_groups"] == ["disabled"]
    assert body["document_number"] == LI[:4] + "*" * 10 + LI[-4:]
    assert body["name"] == "李华"


def test_key_places_are_listed_inside_the_area(client: TestClient, city: City, people: People):
    lng, lat = city.point_in(OWN_GRID)
    created = client.post(
        f"{API}/key-places",
        json={
            "name": "正阳农贸市场",
            "kind": "market",
            "address": {"address": "正阳北路40号", "lng": lng, "lat": lat},
            "patrol_every_days": 3,
        },
        headers=auth(client, people.peer),
    )
    assert created.status_code == 201, created.text
    assert created.json()["region_code"] == OWN_GRID
    assert (created.json()["lng"], created.json()["lat"]) == (lng, lat)
    markets = client.get(
        f"{API}/key-places", params={"kind": "market"}, headers=auth(client, people.owner)
    )
    assert [place["name"] for place in markets.json()] == ["正阳农贸市场"]
    outsider = auth(client, people.outsider)
    assert client.get(f"{API}/key-places", headers=outsider).json() == []
    place_id = created.json()["id"]
    assert client.get(f"{API}/key-places/{place_id}", headers=outsider).status_code == 404


def test_an_organisation_is_found_by_credit_code_and_its_phone_revealed(
    client: TestClient, city: City, people: People
):
    lng, lat = city.point_in(OWN_GRID)
    headers = auth(client, people.peer)
    client.post(
        f"{API}/organisations",
        json={
            "name": "正阳商贸",
            "credit_code": credit_code(),
            "address": {"address": "正阳北路30号", "lng": lng, "lat": lat},
            "contact_phone": "13522223333",
        },
        headers=headers,
    )
    found = client.get(
        f"{API}/organisations", params={"credit_code": credit_code().lower()}, headers=headers
    )
    [organisation] = found.json()
    revealed = client.post(
        f"{API}/organisations/{organisation['id']}/reveal",
        json={"field": "contact_phone", "reason": "联系安全检查"},
        headers=headers,
    )
    assert revealed.json() == {"field": "contact_phone", "value": "13522223333"}
    wrong_field = client.post(
        f"{API}/organisations/{organisation['id']}/reveal",
        json={"field": "document_number", "reason": "联系安全检查"},
        headers=headers,
    )
    assert wrong_field.status_code == 422
    audit = client.get(f"{API}/reveals", headers=auth(client, people.admin)).json()
    assert [(row["subject_kind"], row["field"]) for row in audit] == [
        ("organisation", "contact_phone")
    ]


def test_a_struck_off_resident_is_gone(client: TestClient, registry: Registry, people: People):
    headers = auth(client, people.peer)
    assert client.delete(f"{API}/residents/{registry.li.id}", headers=headers).status_code == 204
    assert client.get(f"{API}/residents/{registry.li.id}", headers=headers).status_code == 404
