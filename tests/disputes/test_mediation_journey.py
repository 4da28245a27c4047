"""A mediator runs disputes to their end over HTTP (issue 5, section 3, done means).

From a case to an agreement whose Word document names the parties and the
terms; a failed mediation referred to the court; each step by the right role,
each change one history row.
"""

from io import BytesIO

from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.disputes.conftest import GRID, TERMS, parties, post, register, session, walk_in
from tests.factories import PASSWORD, AuthedUser, People, auth


def test_a_dispute_from_a_case_is_auto_assigned_and_mediated_to_an_agreement_document(
    client: TestClient, people: People, mediators, case_number: str
):
    created = register(
        client,
        people.owner,
        {
            "kind": "neighbour",
            "source": "case",
            "case_number": case_number,
            "description": "楼上漏水导致楼下天花板受损，双方多次争吵",
            "amount": "3000.00",
            "people_involved": 2,
            "parties": parties(),
        },
    )
    number = created["number"]
    assert number.startswith("MD530502")
    assert created["case_number"] == case_number
    assert created["region_code"] == GRID
    assert created["status"] == "assigned"
    assert created["mediator"] == "mediator"
    assert "530502001" in created["assignment_reason"]

    mediator = mediators["mediator"]
    assert session(client, number, people.owner).status_code == 403
    recorded = session(client, number, mediator)
    assert recorded.status_code == 201, recorded.text
    agreed = post(
        client,
        f"{number}/agreement",
        mediator,
        {
            "terms": TERMS,
            "performance_method": "现金当面交付，管道由物业派员维修",
            "performance_deadline": "2026-12-01",
        },
    )
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["status"] == "agreed"
    assert agreed.json()["has_agreement_document"] is True

    download = client.get(
        f"/api/v1/disputes/{number}/agreement.docx", headers=auth(client, mediator)
    )
    assert download.status_code == 200
    text = "\n".join(p.text for p in Document(BytesIO(download.content)).paragraphs)
    assert "人民调解协议书" in text
    assert number in text
    assert "申请人：张三" in text
    assert "被申请人：李四" in text
    assert TERMS in text
    assert "2026年12月1日" in text
    assert "调解员mediator" in text
    assert "13812345678" not in text


def test_closing_after_an_agreement_waits_for_a_follow_up_visit(
    client: TestClient, people: People, mediators
):
    mediator = mediators["mediator"]
    number = register(client, people.owner, walk_in())["number"]
    assert session(client, number, mediator).status_code == 201
    agreement = {"terms": TERMS, "performance_method": "转账", "performance_deadline": "2026-12-01"}
    assert post(client, f"{number}/agreement", mediator, agreement).status_code == 200

    early = post(client, f"{number}/transitions", mediator, {"to": "closed"})
    assert early.status_code == 422
    assert early.json()["error"]["code"] == "dispute_follow_up_required"
    visit = {"visited_on": "2026-12-03", "result": "已按协议赔偿，管道已修好"}
    assert post(client, f"{number}/follow-ups", mediator, visit).status_code == 201
    closed = post(client, f"{number}/transitions", mediator, {"to": "closed"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed_at"] is not None

    history = client.get(f"/api/v1/disputes/{number}/history", headers=auth(client, people.owner))
    assert [row["to_status"] for row in history.json()] == [
        "registered",
        "assigned",
        "mediating",
        "agreed",
        "closed",
    ]
    assert history.json()[1]["actor"] == "system"


def test_a_failed_mediation_is_referred_to_court_and_closed(
    client: TestClient, people: People, mediators
):
    mediator = mediators["mediator"]
    number = register(client, people.owner, walk_in())["number"]
    assert session(client, number, mediator, result="failed").status_code == 201

    unreasoned = post(client, f"{number}/transitions", mediator, {"to": "failed"})
    assert unreasoned.status_code == 422
    failed = post(
        client, f"{number}/transitions", mediator, {"to": "failed", "note": "被申请人拒绝赔偿"}
    )
    assert failed.status_code == 200, failed.text
    nowhere = post(client, f"{number}/transitions", mediator, {"to": "referred"})
    assert nowhere.json()["error"]["code"] == "dispute_referral_target_required"
    referred = post(
        client, f"{number}/transitions", mediator, {"to": "referred", "referral_target": "court"}
    )
    assert referred.status_code == 200, referred.text
    assert referred.json()["referral_target"] == "court"
    again = post(client, f"{number}/transitions", mediator, {"to": "mediating"})
    assert again.status_code == 409
    closed = post(client, f"{number}/transitions", people.owner, {"to": "closed"})
    assert closed.json()["status"] == "closed"


def test_a_dispatcher_assigns_by_hand_only_a_mediator_whose_area_covers_the_dispute(
    client: TestClient, people: People, mediators
):
    number = register(client, people.owner, walk_in(kind="labour"))["number"]
    assert (
        client.get(f"/api/v1/disputes/{number}", headers=auth(client, people.owner)).json()[
            "status"
        ]
        == "registered"
    )

    unavailable = post(client, f"{number}/assign", people.owner, {})
    assert unavailable.status_code == 422
    assert unavailable.json()["error"]["code"] == "dispute_no_mediator"
    far = post(client, f"{number}/assign", people.owner, {"mediator": "far_mediator"})
    assert far.json()["error"]["code"] == "dispute_mediator_out_of_area"
    by_hand = post(
        client, f"{number}/assign", people.owner, {"mediator": "mediator", "note": "熟悉该小区"}
    )
    assert by_hand.status_code == 200, by_hand.text
    assert by_hand.json()["mediator"] == "mediator"
    assert by_hand.json()["assignment_reason"] == "熟悉该小区"
    # Assigned now: the mediator may neither take it again nor hand it on.
    assert post(client, f"{number}/assign", mediators["mediator"], {}).status_code == 403


def test_a_mediator_takes_on_a_walk_in_no_profile_matched(
    client: TestClient, people: People, mediators
):
    number = register(client, people.owner, walk_in(kind="labour"))["number"]

    taken = post(client, f"{number}/assign", mediators["mediator"], {})

    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "assigned"
    assert taken.json()["mediator"] == "mediator"


def test_an_administrator_keeps_the_mediator_profiles_and_the_centre_sees_their_load(
    client: TestClient, people: People, mediators
):
    register(client, people.owner, walk_in())
    admin = auth(client, people.admin)
    saved = client.put(
        "/api/v1/disputes/mediators",
        json={"username": "mediator", "kinds": ["neighbour", "lending"], "active": True},
        headers=admin,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["kinds"] == ["lending", "neighbour"]
    assert saved.json()["open_disputes"] == 1
    listed = client.get("/api/v1/disputes/mediators", headers=auth(client, people.owner)).json()
    assert [row["username"] for row in listed] == ["mediator"]
    not_a_mediator = client.put(
        "/api/v1/disputes/mediators", json={"username": "peer", "kinds": ["other"]}, headers=admin
    )
    assert not_a_mediator.status_code == 422
    by_dispatcher = client.put(
        "/api/v1/disputes/mediators",
        json={"username": "mediator", "kinds": ["other"]},
        headers=auth(client, people.owner),
    )
    assert by_dispatcher.status_code == 403


def test_once_mediation_runs_only_its_mediator_records_sessions(
    client: TestClient, people: People, mediators, db: Session
):
    auth_service.create_user(
        db, username="colleague", password=PASSWORD, role=Role.MEDIATOR, scope_code=GRID[:9]
    )
    db.commit()
    colleague = AuthedUser("colleague", PASSWORD, GRID[:9], Role.MEDIATOR)
    number = register(client, people.owner, walk_in())["number"]
    assert session(client, number, mediators["mediator"]).status_code == 201
    assert session(client, number, colleague).status_code == 403
    sessions = client.get(f"/api/v1/disputes/{number}/sessions", headers=auth(client, colleague))
    assert len(sessions.json()) == 1
