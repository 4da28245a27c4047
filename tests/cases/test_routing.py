"""Routing rules as data: the first match wins, every case keeps why it went where it went."""

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.scope import NATIONAL_SCOPE, Actor
from civicgrid.cases import routing
from civicgrid.cases.service import Intake, report_case
from civicgrid.errors import Invalid, NotFound
from civicgrid.geo.service import GridIndex
from tests.factories import City

GRID = "530502001001001"
OTHER_DISTRICT_GRID = "530521001001001"
CLI = Actor(kind="cli", role=None, scope_code=NATIONAL_SCOPE)


@pytest.fixture
def departments(db: Session, city: City) -> dict[str, int]:
    made = {
        "fire-530502": ("fire", "区消防救援大队", "530502"),
        "fire-530500": ("fire", "市消防救援支队", "530500"),
        "petitions-530500": ("petitions", "市信访局", "530500"),
    }
    ids = {
        code: auth_service.create_department(
            db, code=code, name=name, kind=kind, region_code=region
        ).id
        for code, (kind, name, region) in made.items()
    }
    db.commit()
    return ids


def facts(**changes: str) -> routing.CaseFacts:
    base = {
        "category_code": None,
        "region_code": GRID,
        "channel": "resident",
        "priority": "normal",
    }
    return routing.CaseFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_without_rules_a_case_goes_to_its_street_centre(db, city):
    decision = routing.route(db, facts())
    assert decision.rule_id is None
    assert decision.handling_region_code == "530502001"
    assert decision.department_id is None
    assert "由 街道530502001 综治中心受理" in routing.explain(decision.reason, "zh-CN")


def test_the_category_default_department_is_the_fallback(db, departments):
    decision = routing.route(
        db, routing.CaseFacts(None, GRID, "resident", "normal", {"district": "fire"})
    )
    assert decision.department_id == departments["fire-530502"]
    assert "区消防救援大队" in routing.explain(decision.reason, "zh-CN")


def test_the_first_matching_rule_wins_and_says_so(db, departments):
    routing.create_rule(
        db,
        routing.RuleIn(
            name="信访转市信访局",
            target_level="city",
            channel="petition",
            department_kind="petitions",
        ),
    )
    routing.create_rule(
        db, routing.RuleIn(name="紧急事件区中心", target_level="district", priority="urgent")
    )
    routing.create_rule(db, routing.RuleIn(name="全部到区", target_level="district"))
    db.commit()
    petition = routing.route(db, facts(channel="petition", priority="urgent"))
    assert petition.department_id == departments["petitions-530500"]
    assert petition.handling_region_code == "530500"
    urgent = routing.route(db, facts(priority="urgent"))
    assert urgent.handling_region_code == "530502"
    assert urgent.department_id is None
    assert "第 2 条规则「紧急事件区中心」" in routing.explain(urgent.reason, "zh-CN")
    assert 'Rule 2 "紧急事件区中心"' in routing.explain(urgent.reason, "en")


def test_category_and_region_prefixes_narrow_a_rule(db, departments):
    routing.create_rule(
        db,
        routing.RuleIn(
            name="本区消防",
            target_level="district",
            category_prefix="SG-04",
            region_prefix="530502",
            department_kind="fire",
            grid_may_handle=False,
        ),
    )
    routing.create_rule(
        db,
        routing.RuleIn(
            name="网格自处", target_level="grid", category_prefix="UM-01", grid_may_handle=True
        ),
    )
    db.commit()
    fire_here = routing.route(db, facts(category_code="SG-04-01"))
    assert fire_here.department_id == departments["fire-530502"]
    fire_elsewhere = routing.route(
        db, facts(category_code="SG-04-01", region_code=OTHER_DISTRICT_GRID)
    )
    assert fire_elsewhere.rule_id is None
    minor = routing.route(db, facts(category_code="UM-01-02"))
    assert minor.handling_region_code == GRID
    assert minor.grid_may_handle is True
    assert routing.route(db, facts()).rule_id is None


def test_a_department_in_the_city_serves_a_district_without_its_own(db, departments):
    routing.create_rule(
        db, routing.RuleIn(name="消防", target_level="district", department_kind="fire")
    )
    db.commit()
    decision = routing.route(db, facts(region_code=OTHER_DISTRICT_GRID))
    assert decision.department_id == departments["fire-530500"]


def test_an_unlocated_case_is_routed_where_it_waits(db, city):
    routing.create_rule(db, routing.RuleIn(name="到社区", target_level="community"))
    db.commit()
    assert routing.route(db, facts(region_code="530500")).handling_region_code == "530500"


def test_rules_are_renumbered_when_inserted_moved_and_deleted(db, city):
    first = routing.create_rule(db, routing.RuleIn(name="一", target_level="street"))
    second = routing.create_rule(db, routing.RuleIn(name="二", target_level="street"))
    top = routing.create_rule(db, routing.RuleIn(name="零", target_level="street"), position=1)
    assert [r.name for r in routing.active_and_inactive(db)] == ["零", "一", "二"]
    routing.update_rule(db, second.id, routing.RuleIn(name="二", target_level="street"), position=1)
    assert [r.name for r in routing.active_and_inactive(db)] == ["二", "零", "一"]
    routing.delete_rule(db, top.id)
    assert [(r.name, r.position) for r in routing.active_and_inactive(db)] == [("二", 1), ("一", 2)]
    assert first.position == 2
    with pytest.raises(NotFound):
        routing.delete_rule(db, top.id)


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (routing.RuleIn(name=" ", target_level="street"), "routing_rule_name_required"),
        (routing.RuleIn(name="x", target_level="planet"), "routing_rule_level_unknown"),
        (
            routing.RuleIn(name="x", target_level="street", department_kind="fire"),
            "routing_rule_department_level",
        ),
        (
            routing.RuleIn(name="x", target_level="street", priority="asap"),
            "routing_rule_priority_unknown",
        ),
        (
            routing.RuleIn(name="x", target_level="street", channel="pigeon"),
            "routing_rule_channel_unknown",
        ),
        (
            routing.RuleIn(name="x", target_level="street", region_prefix="53a"),
            "routing_rule_region_prefix",
        ),
        (
            routing.RuleIn(name="x", target_level="district", department_kind="wizards"),
            "routing_rule_department_unknown",
        ),
    ],
)
def test_a_bad_rule_is_refused_with_its_reason(db, city, rule, code):
    with pytest.raises(Invalid) as refused:
        routing.create_rule(db, rule)
    assert refused.value.code == code


def test_an_intake_records_the_rule_that_routed_it(db, departments):
    rule = routing.create_rule(
        db, routing.RuleIn(name="紧急事件区中心", target_level="district", priority="urgent")
    )
    db.commit()
    lng, lat = 99.105, 25.105
    case, _ = report_case(
        db,
        GridIndex(),
        intake=Intake(
            description="燃气泄漏", channel="hotline_12345", lng=lng, lat=lat, priority="urgent"
        ),
        actor=CLI,
    )
    assert case.routing_rule_id == rule.id
    assert case.handling_region_code == "530502"
    assert "紧急事件区中心" in routing.explain(case.routing_reason, "zh-CN")


def test_seeding_fills_an_empty_table_once_and_skips_missing_departments(db, departments):
    added = routing.seed_default_rules(db)
    names = [rule.name for rule in routing.active_and_inactive(db)]
    assert added == len(names) > 5
    assert "火情派区县消防救援大队" in names
    assert "突发事件派区县应急管理局" not in names
    assert [rule.position for rule in routing.active_and_inactive(db)] == list(range(1, added + 1))
    assert routing.seed_default_rules(db) == 0
