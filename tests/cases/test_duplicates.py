"""Duplicate detection (串并) and merging: what a dispatcher is offered, and what merging does."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.cases.duplicates import candidates, merge, shingles, similarity, surviving_case
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.categories.seeds import seed_builtin
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import utcnow
from tests.factories import OTHER_DISTRICT, OWN_STREET, City, People, auth

GRID = "530502001001001"
LAMP = "UM-03-03"  # 路灯故障
MANHOLE = "UM-03-01"  # 井盖问题, same group as the lamp
RUBBISH = "UM-01-01"  # 暴露垃圾, another group
# About 100 m east of a grid's centre: 0.001° of longitude at 25° N.
STEP = 0.001
# The border between streets 530502001 and 530502002 runs along this longitude.
STREET_BORDER = 99.14

DISPATCHER = Actor(kind="user", role=Role.DISPATCHER, scope_code=OWN_STREET, username="owner")
CITY_ADMIN = Actor(kind="user", role=Role.ADMIN, scope_code="530500", username="admin")
RESIDENT = Actor(kind="user", role=Role.RESIDENT, scope_code="530500", username="resident")
GRID_WORKER = Actor(kind="user", role=Role.GRID_WORKER, scope_code=OWN_STREET, username="worker")


@pytest.fixture
def categories(db: Session, city: City) -> None:
    seed_builtin(db)
    db.commit()


def report(
    db: Session,
    *,
    description: str = "小区门口路灯不亮，晚上一片漆黑，行人看不清路",
    point: tuple[float, float] | None = None,
    address: str | None = None,
    category: str | None = LAMP,
    days_ago: float = 0,
) -> Case:
    lng, lat = point if point else (None, None)
    intake = Intake(
        description=description,
        channel="resident",
        lng=lng,
        lat=lat,
        address=address,
        category_code=category,
        reporter_phone="13800138000",
    )
    now = utcnow() - timedelta(days=days_ago)
    case, _ = report_case(db, GridIndex(), intake=intake, actor=RESIDENT, now=now)
    return case


def near(city: City, metres_east: float = 100) -> tuple[float, float]:
    lng, lat = city.point_in(GRID)
    return lng + STEP * metres_east / 100, lat


def test_a_similar_report_nearby_is_offered_with_its_reasons(db, city, categories):
    first = report(db, point=near(city, 0))
    second = report(db, point=near(city, 100), description="小区门口的路灯不亮了，晚上漆黑一片")
    found = candidates(db, second, DISPATCHER)
    assert [candidate.case.id for candidate in found] == [first.id]
    offered = found[0]
    assert 80 < (offered.distance_m or 0) < 120
    assert offered.hours_apart < 1
    assert 0 < offered.score <= 1
    assert {reason.code for reason in offered.reasons} == {
        "similar_text",
        "near",
        "hours_apart",
        "same_category",
    }


def test_a_report_of_a_related_category_is_offered_below_the_same_category(db, city, categories):
    same = report(db, point=near(city, 0))
    related = report(db, point=near(city, 0), category=MANHOLE)
    asked = report(db, point=near(city, 50))
    found = candidates(db, asked, DISPATCHER)
    assert [candidate.case.id for candidate in found] == [same.id, related.id]
    assert "related_category" in {reason.code for reason in found[1].reasons}


def test_far_away_other_group_old_or_unlike_reports_are_not_offered(db, city, categories):
    report(db, point=near(city, 1000))
    report(db, point=near(city, 0), category=RUBBISH)
    report(db, point=near(city, 0), days_ago=10)
    report(db, point=near(city, 0), description="楼下烧烤摊油烟很大，每天营业到凌晨两点")
    asked = report(db, point=near(city, 50))
    assert candidates(db, asked, DISPATCHER) == []


def test_finished_cases_are_not_offered(db, city, categories):
    rejected = report(db, point=near(city, 0))
    transition(
        db,
        case_id=rejected.id,
        change=Change(to=Status.REJECTED, note="重复上报"),
        actor=DISPATCHER,
    )
    db.commit()
    asked = report(db, point=near(city, 50))
    assert candidates(db, asked, DISPATCHER) == []


def test_a_street_dispatcher_is_not_offered_a_case_across_the_street_border(db, city, categories):
    _, lat = city.point_in(GRID)
    across = report(db, point=(STREET_BORDER + 0.0005, lat))
    inside = report(db, point=(STREET_BORDER - 0.0005, lat))
    assert candidates(db, inside, DISPATCHER) == []
    assert [candidate.case.id for candidate in candidates(db, inside, CITY_ADMIN)] == [across.id]


def test_an_outsider_cannot_ask_about_a_case_outside_their_district(db, city, categories):
    asked = report(db, point=near(city, 0))
    outsider = Actor(kind="user", role=Role.DISPATCHER, scope_code=OTHER_DISTRICT, username="x")
    with pytest.raises(NotFound):
        candidates(db, asked, outsider)


def test_unlocated_reports_compare_by_address(db, city, categories):
    first = report(db, address="兰亭湾畔小区3栋")
    report(db, address="幸福路农贸市场")
    asked = report(db, address="兰亭湾畔小区3栋东门")
    found = candidates(db, asked, CITY_ADMIN)
    assert [candidate.case.id for candidate in found] == [first.id]
    assert found[0].distance_m is None
    assert "same_address" in {reason.code for reason in found[0].reasons}


def test_merging_closes_the_duplicate_and_records_the_survivor(db, city, categories):
    survivor = report(db, point=near(city, 0))
    duplicate = report(db, point=near(city, 50))
    merged = merge(db, case=duplicate, into=survivor, actor=DISPATCHER, note="同一路灯")
    assert merged.status == Status.MERGED.value
    assert merged.merged_into_id == survivor.id
    assert surviving_case(db, merged).id == survivor.id
    assert candidates(db, survivor, DISPATCHER) == []


def test_merges_of_merges_lead_to_the_last_survivor(db, city, categories):
    first, second, third = (report(db, point=near(city, 0)) for _ in range(3))
    merge(db, case=first, into=second, actor=DISPATCHER)
    merge(db, case=second, into=third, actor=DISPATCHER)
    assert surviving_case(db, first).id == third.id


def test_merging_into_a_merged_case_is_refused_naming_its_survivor(db, city, categories):
    survivor, merged, asked = (report(db, point=near(city, 0)) for _ in range(3))
    merge(db, case=merged, into=survivor, actor=DISPATCHER)
    with pytest.raises(Conflict) as refused:
        merge(db, case=asked, into=merged, actor=DISPATCHER)
    assert refused.value.code == "merge_target_merged"
    assert refused.value.params["survivor"] == survivor.number
    db.rollback()
    assert db.get(Case, asked.id).status == Status.REPORTED.value


def test_merging_into_a_closed_case_is_refused(db, city, categories):
    closed = report(db, point=near(city, 0))
    for target, who in ((Status.SELF_RESOLVED, GRID_WORKER), (Status.CLOSED, DISPATCHER)):
        transition(db, case_id=closed.id, change=Change(to=target, note="已处理"), actor=who)
    db.commit()
    asked = report(db, point=near(city, 0))
    with pytest.raises(Conflict) as refused:
        merge(db, case=asked, into=closed, actor=DISPATCHER)
    assert refused.value.code == "merge_target_finished"


def test_a_case_cannot_be_merged_into_itself_or_by_a_grid_worker(db, city, categories):
    case, other = report(db, point=near(city, 0)), report(db, point=near(city, 0))
    with pytest.raises(Invalid):
        merge(db, case=case, into=case, actor=DISPATCHER)
    with pytest.raises(Forbidden):
        merge(db, case=case, into=other, actor=GRID_WORKER)


def test_the_workflow_refuses_a_merge_without_a_surviving_case(db, city, categories):
    case = report(db, point=near(city, 0))
    with pytest.raises(Invalid) as refused:
        transition(db, case_id=case.id, change=Change(to=Status.MERGED), actor=DISPATCHER)
    assert refused.value.code == "merge_target_required"


def test_duplicates_and_merging_over_http(client, db, city, people: People, categories):
    survivor = report(db, point=near(city, 0))
    duplicate = report(db, point=near(city, 60))
    owner = auth(client, people.owner)
    offered = client.get(f"/api/v1/cases/{duplicate.number}/duplicates", headers=owner)
    assert offered.status_code == 200, offered.text
    assert [item["number"] for item in offered.json()] == [survivor.number]
    assert any("米" in reason for reason in offered.json()[0]["reasons"])
    outsider = client.get(
        f"/api/v1/cases/{duplicate.number}/duplicates", headers=auth(client, people.outsider)
    )
    assert outsider.status_code == 404
    merged = client.post(
        f"/api/v1/cases/{duplicate.number}/merge",
        json={"into": survivor.number, "note": "同一路灯"},
        headers=owner,
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged"
    again = client.post(
        f"/api/v1/cases/{survivor.number}/merge", json={"into": duplicate.number}, headers=owner
    )
    assert again.status_code == 409


WORDS = st.text(alphabet="路灯不亮井盖垃圾3栋abAB，。 ！-", max_size=60)


@given(WORDS, WORDS)
def test_similarity_is_symmetric_bounded_and_one_for_the_same_words(first, second):
    a, b = shingles(first), shingles(second)
    assert similarity(a, b) == similarity(b, a)
    assert 0 <= similarity(a, b) <= 1
    if a:
        assert similarity(a, shingles(f"  {first.upper()}！")) == 1


def test_full_width_forms_and_punctuation_do_not_change_the_words():
    assert shingles("幸福小区３栋，ＡＢ单元") == shingles("幸福小区3栋 ab单元")
