"""A routing rule that matches every case, placed above others, would silently take their cases:
the administrator's verbs refuse it with a message naming the rule and what it hides."""

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import NATIONAL_SCOPE, Actor
from civicgrid.cases import routing
from civicgrid.errors import Invalid
from tests.factories import City

ADMIN = Actor(kind="user", role=Role.ADMIN, scope_code=NATIONAL_SCOPE, username="city_admin")
CATCH_ALL = routing.RuleIn(name="全部交街道", target_level="street")
URGENT = routing.RuleIn(name="紧急件区县调度", priority="urgent", target_level="district")
PETITION = routing.RuleIn(name="信访件到区县", channel="petition", target_level="district")


@pytest.fixture
def table(db: Session, city: City) -> None:
    routing.add_rule(db, ADMIN, URGENT)
    routing.add_rule(db, ADMIN, PETITION)
    db.commit()


def names(db: Session) -> list[str]:
    return [rule.name for rule in routing.active_and_inactive(db)]


def test_a_catch_all_rule_above_others_is_refused_naming_what_it_would_hide(db, table):
    with pytest.raises(Invalid) as refused:
        routing.add_rule(db, ADMIN, CATCH_ALL, position=1)

    assert refused.value.code == "routing_rule_shadows"
    message = refused.value.message("zh-CN")
    assert "全部交街道" in message
    assert "2 条规则" in message
    db.rollback()
    assert names(db) == ["紧急件区县调度", "信访件到区县"]


def test_a_catch_all_rule_at_the_end_is_the_fallback_and_nothing_may_go_below_it(db, table):
    routing.add_rule(db, ADMIN, CATCH_ALL)
    db.commit()

    with pytest.raises(Invalid):
        routing.add_rule(
            db, ADMIN, routing.RuleIn(name="晚到的规则", channel="app", target_level="street")
        )
    db.rollback()
    assert names(db) == ["紧急件区县调度", "信访件到区县", "全部交街道"]


def test_emptying_the_conditions_of_a_rule_in_the_middle_is_refused(db, table):
    first = routing.active_rules(db)[0]

    with pytest.raises(Invalid):
        routing.change_rule(db, ADMIN, first.id, CATCH_ALL)


def test_an_inactive_catch_all_hides_nothing(db, table):
    switched_off = routing.RuleIn(name="停用的兜底", target_level="street", active=False)

    routing.add_rule(db, ADMIN, switched_off, position=1)

    assert names(db)[0] == "停用的兜底"
