"""The dispute status table: every allowed change passes, every other one is refused."""

import itertools

import pytest

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.disputes.models import Dispute
from civicgrid.disputes.workflow import (
    ALLOWED,
    Status,
    require_allowed,
    require_may_act,
)
from civicgrid.errors import Conflict, Forbidden, NotFound

PAIRS = list(itertools.product(Status, Status))
MEDIATOR = Actor(kind="user", role=Role.MEDIATOR, scope_code="530502001", user_id=7)


def test_the_table_names_every_status_and_closed_is_the_end():
    assert set(ALLOWED) == set(Status)
    assert ALLOWED[Status.CLOSED] == frozenset()
    reachable = {Status.REGISTERED} | set().union(*ALLOWED.values())
    assert reachable == set(Status)


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p[1] in ALLOWED[p[0]]])
def test_an_allowed_change_passes(current: Status, target: Status):
    require_allowed(current, target)


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p[1] not in ALLOWED[p[0]]])
def test_any_other_change_is_a_conflict(current: Status, target: Status):
    with pytest.raises(Conflict):
        require_allowed(current, target)


def dispute(mediator_id: int | None, region: str = "530502001001001") -> Dispute:
    return Dispute(number="MD5305022026110100001", region_code=region, mediator_id=mediator_id)


def test_only_the_assigned_mediator_moves_a_mediation():
    require_may_act(MEDIATOR, dispute(7), Status.AGREED)
    with pytest.raises(Forbidden):
        require_may_act(MEDIATOR, dispute(8), Status.AGREED)


def test_a_mediator_takes_on_only_an_unassigned_dispute_and_only_for_themselves():
    require_may_act(MEDIATOR, dispute(None), Status.ASSIGNED, mediator_id=7)
    with pytest.raises(Forbidden):
        require_may_act(MEDIATOR, dispute(None), Status.ASSIGNED, mediator_id=8)
    with pytest.raises(Forbidden):
        require_may_act(MEDIATOR, dispute(8), Status.ASSIGNED, mediator_id=7)
    with pytest.raises(Forbidden):
        require_may_act(MEDIATOR, dispute(7), Status.ASSIGNED, mediator_id=8)


def test_an_outsider_is_told_nothing_exists():
    with pytest.raises(NotFound):
        require_may_act(MEDIATOR, dispute(7, region="530521001001001"), Status.AGREED)
