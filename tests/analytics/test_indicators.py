"""Indicator figures counted in the database, for a month walked through the real workflow."""

from datetime import date
from typing import Any

import pytest

from civicgrid.analytics.service import Counts, indicators
from civicgrid.auth.models import Role
from civicgrid.errors import Forbidden, Invalid, NotFound
from tests.analytics.conftest import LATER, Month, local, user
from tests.factories import OTHER_DISTRICT, OWN_STREET

MARCH: dict[str, Any] = {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}
LEADER = user(Role.LEADER, "530500", "leader")
STREET_DISPATCHER = user(Role.DISPATCHER, OWN_STREET, "owner")
OUTSIDER = user(Role.DISPATCHER, OTHER_DISTRICT, "outsider")


def figures(db, actor, group, **extra):
    rows = indicators(db, actor, group_by=group, now=LATER, **MARCH, **extra)
    return {row.key: row for row in rows}


def test_the_leader_sees_each_district_of_the_city(db, month: Month):
    rows = figures(db, LEADER, "district")
    assert set(rows) == {"530502", "530521"}
    own = rows["530502"]
    assert own.name == "区530502"
    assert own.counts == Counts(
        received=4,
        closed=2,
        overdue=2,
        dispatched=4,
        dispatched_on_time=3,
        handled=3,
        handled_on_time=2,
        returned=1,
        reworked=1,
    )
    assert own.counts.on_time_dispatch_rate == 0.75
    assert own.counts.on_time_handling_rate == pytest.approx(2 / 3)
    assert own.counts.closure_rate == 0.5
    assert own.counts.rework_rate == pytest.approx(1 / 3)
    assert own.counts.satisfaction_rate is None
    other = rows["530521"]
    assert other.counts == Counts(received=1, rejected=1)
    assert other.counts.closure_rate is None


def test_a_street_dispatcher_counts_only_the_street(db, month: Month):
    rows = figures(db, STREET_DISPATCHER, "street")
    assert list(rows) == [OWN_STREET]
    assert rows[OWN_STREET].counts == Counts(
        received=3,
        closed=2,
        overdue=1,
        dispatched=2,
        dispatched_on_time=1,
        handled=3,
        handled_on_time=2,
        reworked=1,
    )


def test_an_outsider_counts_only_the_other_district(db, month: Month):
    rows = figures(db, OUTSIDER, "district")
    assert {key: row.counts for key, row in rows.items()} == {
        OTHER_DISTRICT: Counts(received=1, rejected=1)
    }


def test_grouping_by_department_follows_the_department_holding_the_case(db, month: Month):
    rows = figures(db, LEADER, "department")
    assert set(rows) == {"530502-urban", None}
    assert rows["530502-urban"].name == "区城管局"
    assert rows["530502-urban"].counts.received == 3
    assert rows["530502-urban"].counts.returned == 1
    assert rows[None].counts == Counts(received=2, rejected=1, overdue=1)


def test_a_department_handler_sees_only_what_the_department_holds(db, month: Month):
    urban = user(Role.DEPARTMENT_HANDLER, "530502", "handler.urban", month.urban)
    police = user(Role.DEPARTMENT_HANDLER, "530500", "handler.police", month.police)
    assert [row.key for row in indicators(db, urban, group_by="grid", now=LATER, **MARCH)] == [
        "530502001001001",
        "530502002001001",
    ]
    assert indicators(db, police, group_by="department", now=LATER, **MARCH) == []


def test_a_region_narrows_the_cohort_and_grids_group_finer(db, month: Month):
    rows = figures(db, LEADER, "grid", region_code=OWN_STREET)
    assert list(rows) == ["530502001001001"]
    assert rows["530502001001001"].counts.received == 3


def test_overdue_counts_open_cases_past_their_deadline_at_the_moment_asked(db, month: Month):
    early = indicators(db, LEADER, group_by="district", now=local(2025, 3, 1, 0, 0), **MARCH)
    assert sum(row.counts.overdue for row in early) == 0


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.GRID_WORKER, Role.COMMUNITY_STAFF])
def test_roles_without_an_oversight_duty_are_refused(db, month: Month, role):
    with pytest.raises(Forbidden):
        indicators(db, user(role, OWN_STREET, "someone"), group_by="district", **MARCH)


def test_a_region_outside_the_jurisdiction_is_not_found(db, month: Month):
    with pytest.raises(NotFound):
        indicators(db, OUTSIDER, group_by="street", region_code=OWN_STREET, **MARCH)


def test_a_reversed_or_overlong_period_is_refused(db, month: Month):
    with pytest.raises(Invalid) as reversed_period:
        indicators(
            db,
            LEADER,
            group_by="district",
            period_start=date(2025, 3, 2),
            period_end=date(2025, 3, 1),
        )
    assert reversed_period.value.code == "indicator_period_reversed"
    with pytest.raises(Invalid) as long_period:
        indicators(
            db,
            LEADER,
            group_by="district",
            period_start=date(2024, 1, 1),
            period_end=date(2025, 1, 1),
        )
    assert long_period.value.code == "indicator_period_too_long"
