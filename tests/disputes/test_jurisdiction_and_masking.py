"""Each person sees the disputes of their own area only, and no response shows a full phone."""

import re

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.disputes.models import DisputeParty
from tests.disputes.conftest import (
    APPLICANT_PHONE,
    OLD_MAN_ID,
    OTHER_GRID,
    RESPONDENT_PHONE,
    TERMS,
    credit_code,
    parties,
    post,
    register,
    session,
    walk_in,
)
from tests.factories import People, auth

FULL_NUMBERS = (APPLICANT_PHONE, RESPONDENT_PHONE, OLD_MAN_ID)


def test_an_outsider_gets_404_and_an_empty_list_for_another_areas_dispute(
    client: TestClient, people: People, mediators
):
    number = register(client, people.owner, walk_in())["number"]
    outsider = auth(client, people.outsider)
    assert client.get(f"/api/v1/disputes/{number}", headers=outsider).status_code == 404
    assert client.get("/api/v1/disputes", headers=outsider).json() == []
    for path in ("history", "triage", "sessions", "agreement.docx"):
        assert client.get(f"/api/v1/disputes/{number}/{path}", headers=outsider).status_code == 404
    assert post(client, f"{number}/assign", people.outsider, {}).status_code == 404
    closing = post(client, f"{number}/transitions", people.outsider, {"to": "closed"})
    assert closing.status_code == 404


def test_a_mediator_of_another_area_sees_nothing_and_cannot_record_a_session(
    client: TestClient, people: People, mediators
):
    number = register(client, people.owner, walk_in())["number"]
    far = mediators["far_mediator"]
    assert client.get("/api/v1/disputes", headers=auth(client, far)).json() == []
    assert client.get(f"/api/v1/disputes/{number}", headers=auth(client, far)).status_code == 404
    assert session(client, number, far).status_code == 404


def test_a_mediator_lists_their_own_disputes_with_mine(
    client: TestClient, people: People, mediators
):
    assigned = register(client, people.owner, walk_in())["number"]
    unassigned = register(client, people.owner, walk_in(kind="consumer"))["number"]
    headers = auth(client, mediators["mediator"])
    area = {row["number"] for row in client.get("/api/v1/disputes", headers=headers).json()}
    mine = client.get("/api/v1/disputes", params={"mine": True}, headers=headers).json()
    assert area == {assigned, unassigned}
    assert [row["number"] for row in mine] == [assigned]


def test_a_dispute_cannot_be_registered_in_an_area_outside_ones_own(
    client: TestClient, people: People, mediators
):
    response = client.post(
        "/api/v1/disputes", json=walk_in(region_code=OTHER_GRID), headers=auth(client, people.owner)
    )
    assert response.status_code == 404


def _shows_no_full_number(response: httpx2.Response) -> None:
    assert response.status_code < 300, response.text
    for full in FULL_NUMBERS:
        assert full not in response.text


def test_party_phones_and_id_numbers_are_masked_in_every_response(
    client: TestClient, people: People, mediators
):
    mediator = mediators["mediator"]
    body = walk_in(parties=parties(id_number=OLD_MAN_ID))
    body["parties"].append(
        {
            "kind": "organisation",
            "role": "third_party",
            "name": "某物业公司",
            "credit_code": credit_code(),
        }
    )
    created = client.post("/api/v1/disputes", json=body, headers=auth(client, people.owner))
    _shows_no_full_number(created)
    number = created.json()["number"]
    shown = created.json()["parties"]
    assert shown[0]["phone"] == "138****5678"
    assert shown[0]["id_number"] == "5305**********" + OLD_MAN_ID[-4:]
    assert shown[1]["phone"] == "139****4321"
    assert shown[2]["credit_code"] == credit_code()

    headers = auth(client, mediator)
    _shows_no_full_number(client.get(f"/api/v1/disputes/{number}", headers=headers))
    _shows_no_full_number(client.get("/api/v1/disputes", headers=headers))
    _shows_no_full_number(session(client, number, mediator))
    agreement = {"terms": TERMS, "performance_method": "转账", "performance_deadline": "2026-12-01"}
    _shows_no_full_number(post(client, f"{number}/agreement", mediator, agreement))
    _shows_no_full_number(client.get(f"/api/v1/disputes/{number}/triage", headers=headers))


def test_party_numbers_are_stored_only_sealed(client: TestClient, people: People, db: Session):
    register(client, people.owner, walk_in(parties=parties(id_number=OLD_MAN_ID)))
    stored = db.scalars(select(DisputeParty)).all()
    assert len(stored) == 2
    for party in stored:
        assert party.phone_token is not None
        raw = bytes(party.phone_token) + bytes(party.document_token or b"")
        assert not re.search(rb"1[3-9]\d{9}", raw)
        assert OLD_MAN_ID.encode() not in raw
