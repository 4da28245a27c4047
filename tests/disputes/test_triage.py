"""Escalation triage scores a dispute from its own facts, shows why, and alerts the centre once.

No attribute of a person can enter: the input has no field for one, a weight
for one is refused, and parties who differ only in what an ID number reveals
(sex, age) get the same score.
"""

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.scope import Actor
from civicgrid.disputes import service, triage
from civicgrid.disputes.models import Dispute, DisputeKind, PartyRole, SessionMode, Source
from civicgrid.disputes.schemas import DisputeIn, PartyIn, SessionIn
from civicgrid.notify.delivery import deliver_due
from civicgrid.notify.models import Notification, OutboxMessage
from civicgrid.settings import Settings
from tests.disputes.conftest import (
    APPLICANT_PHONE,
    GRID,
    OLD_MAN_ID,
    RESPONDENT_PHONE,
    YOUNG_WOMAN_ID,
    register,
    walk_in,
)
from tests.factories import People, auth, user_row

NOW = datetime.fromisoformat("2026-11-02T02:00:00+00:00")
DEMOGRAPHICS = ("age", "gender", "sex", "ethnicity", "religion", "birth_date", "nationality")


def actor(db: Session, username: str) -> Actor:
    return auth_service.actor_for_user(user_row(db, username))


def dispute_in(*, description: str = "楼上漏水", amount: str = "0", **party) -> DisputeIn:
    return DisputeIn(
        kind=DisputeKind.NEIGHBOUR,
        source=Source.WALK_IN,
        region_code=GRID,
        description=description,
        amount=Decimal(amount),
        parties=[
            PartyIn(role=PartyRole.APPLICANT, name="张三", phone=APPLICANT_PHONE, **party),
            PartyIn(role=PartyRole.RESPONDENT, name="李四", phone=RESPONDENT_PHONE),
        ],
    )


def create(db: Session, settings: Settings, data: DisputeIn, now: datetime = NOW) -> Dispute:
    dispute = service.create_dispute(db, actor(db, "owner"), settings=settings, data=data, now=now)
    db.commit()
    return dispute


def factors(db: Session, dispute: Dispute, now: datetime) -> dict[str, triage.Factor]:
    return {factor.name: factor for factor in triage.assess(db, dispute, now).factors}


def test_the_input_holds_the_disputes_own_facts_and_no_attribute_of_a_person() -> None:
    names = {field.name for field in dataclasses.fields(triage.TriageInput)}
    assert names == set(triage.FACTORS) == set(triage.DEFAULT_WEIGHTS)
    assert not names & set(DEMOGRAPHICS)
    with pytest.raises(TypeError):
        triage.TriageInput(  # type: ignore[call-arg]
            threat_words=(),
            failed_sessions=0,
            parties=2,
            amount_10k_yuan=0,
            days_open=0,
            repeat_reports=0,
            age=80,
        )


def test_every_factor_shows_its_value_weight_and_contribution(
    db: Session, settings: Settings, people: People, mediators
):
    dispute = create(
        db, settings, dispute_in(description="对方扬言要报复，还威胁我", amount="50000")
    )
    service.record_session(
        db,
        actor(db, "mediator"),
        number=dispute.number,
        data=SessionIn(
            mode=SessionMode.ONLINE,
            held_at=NOW,
            place="视频会议",
            record="被申请人情绪激动，说要拿刀上门",
            result="failed",
        ),
        now=NOW,
    )
    db.commit()
    found = factors(db, dispute, NOW + timedelta(days=10, hours=1))
    assert set(found["threat_words"].evidence) == {"报复", "威胁", "拿刀"}
    assert found["threat_words"].value == 3
    assert found["threat_words"].contribution == 60
    assert found["failed_sessions"].value == 1
    assert found["parties"].value == 2
    assert found["amount_10k_yuan"].value == 5
    assert found["days_open"].value == 10
    assert found["days_open"].contribution == 2
    assert found["repeat_reports"].value == 0
    total = triage.assess(db, dispute, NOW + timedelta(days=10, hours=1)).score
    assert total == sum(factor.contribution for factor in found.values()) == 81


def test_the_same_partys_phone_or_case_coming_back_counts_as_a_repeat(
    db: Session, settings: Settings, people: People
):
    first = create(db, settings, dispute_in())
    second = create(db, settings, dispute_in(description="还是漏水"))
    assert factors(db, first, NOW)["repeat_reports"].value == 1
    assert factors(db, second, NOW)["repeat_reports"].value == 1


def test_what_an_id_number_says_about_sex_and_age_leaves_the_score_unchanged(
    db: Session, settings: Settings, people: People
):
    old_man = create(db, settings, dispute_in(id_number=OLD_MAN_ID))
    old_score = triage.assess(db, old_man, NOW)
    db.delete(old_man)
    db.commit()
    young_woman = create(db, settings, dispute_in(id_number=YOUNG_WOMAN_ID))
    assert triage.assess(db, young_woman, NOW) == old_score


def test_a_high_score_alerts_the_street_centre_once(
    db: Session, settings: Settings, people: People, mediators
):
    dispute = create(db, settings, dispute_in(description="扬言要同归于尽、放火烧死对方"))
    assert dispute.alerted_at is not None
    service.record_session(
        db,
        actor(db, "mediator"),
        number=dispute.number,
        data=SessionIn(
            mode=SessionMode.IN_PERSON, held_at=NOW, place="调解室", record="仍威胁报复"
        ),
        now=NOW,
    )
    db.commit()
    alerts = db.scalars(
        select(OutboxMessage).where(OutboxMessage.event == triage.ALERT_EVENT)
    ).all()
    assert [message.target for message in alerts] == [str(user_row(db, "owner").id)]
    deliver_due(db, "test-worker", NOW + timedelta(minutes=1))
    inbox = db.scalars(select(Notification).where(Notification.event == triage.ALERT_EVENT)).all()
    assert len(inbox) == 1
    assert dispute.number in inbox[0].title


def test_a_calm_dispute_raises_no_alert(db: Session, settings: Settings, people: People):
    dispute = create(db, settings, dispute_in())
    assert dispute.alerted_at is None
    assert not db.scalars(
        select(OutboxMessage).where(OutboxMessage.event == triage.ALERT_EVENT)
    ).all()


@pytest.mark.parametrize("factor", ["age", "gender", "ethnicity", "religion"])
def test_a_weight_for_a_demographic_attribute_is_refused_in_both_languages(
    client: TestClient, people: People, factor: str
):
    headers = auth(client, people.admin)
    body = {"weights": {factor: 5}}
    zh = client.put("/api/v1/disputes/triage/weights", json=body, headers=headers)
    en = client.put(
        "/api/v1/disputes/triage/weights", json=body, headers={**headers, "Accept-Language": "en"}
    )
    assert zh.status_code == en.status_code == 422
    assert zh.json()["error"]["code"] == "dispute_triage_factor_unknown"
    assert f"研判因素 {factor} 不存在" in zh.json()["error"]["message"]
    assert f"There is no triage factor {factor}" in en.json()["error"]["message"]
    weights = client.get("/api/v1/disputes/triage/weights", headers=headers).json()["weights"]
    assert factor not in weights


def test_an_administrator_changes_weights_and_threshold_and_the_score_follows(
    client: TestClient, people: People, mediators
):
    headers = auth(client, people.admin)
    changed = client.put(
        "/api/v1/disputes/triage/weights",
        json={"weights": {"parties": 30}, "alert_threshold": 55},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["weights"]["parties"] == 30
    assert changed.json()["alert_threshold"] == 55
    owner = auth(client, people.owner)
    refused = client.put(
        "/api/v1/disputes/triage/weights", json={"weights": {"parties": 1}}, headers=owner
    )
    assert refused.status_code == 403
    negative = client.put(
        "/api/v1/disputes/triage/weights", json={"weights": {"parties": -1}}, headers=headers
    )
    assert negative.status_code == 422

    number = register(client, people.owner, walk_in())["number"]
    shown = client.get(f"/api/v1/disputes/{number}/triage", headers=owner).json()
    parties = next(factor for factor in shown["factors"] if factor["name"] == "parties")
    assert parties == {
        "name": "parties",
        "value": 2.0,
        "weight": 30.0,
        "contribution": 60.0,
        "evidence": [],
    }
    assert shown["alert"] is True
    assert shown["alerted_at"] is not None
