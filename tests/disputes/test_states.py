"""The dispute states table: one row per status, every column filled in every row."""

import dataclasses

from civicgrid.auth.models import Role
from civicgrid.disputes.states import STATES, Need, State, Status


def test_every_status_has_one_row():
    assert set(STATES) == set(Status)


def test_every_row_fills_every_column_with_a_value_of_its_kind():
    for status, row in STATES.items():
        assert isinstance(row, State), status
        assert all(isinstance(target, Status) for target in row.goes_to), status
        assert all(isinstance(role, Role) for role in row.entered_by), status
        assert isinstance(row.needs, Need), status
        assert isinstance(row.own_endpoint, bool), status
        assert isinstance(row.mediator_load, bool), status
        assert isinstance(row.follow_up, bool), status
    assert {field.name for field in dataclasses.fields(State)} == {
        "goes_to",
        "entered_by",
        "needs",
        "own_endpoint",
        "mediator_load",
        "follow_up",
    }


def test_only_registration_is_entered_by_nobody():
    assert {status for status, row in STATES.items() if not row.entered_by} == {Status.REGISTERED}
