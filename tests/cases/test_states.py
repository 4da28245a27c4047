"""The case states table: one row per status, every column filled in every row."""

import dataclasses

from civicgrid.auth.models import Role
from civicgrid.cases.states import STATES, Audience, Queue, Stage, State, Status


def test_every_status_has_one_row():
    assert set(STATES) == set(Status)


def test_every_row_fills_every_column_with_a_value_of_its_kind():
    for status, row in STATES.items():
        assert isinstance(row, State), status
        assert all(isinstance(target, Status) for target in row.goes_to), status
        assert all(isinstance(role, Role) for role in row.entered_by), status
        assert isinstance(row.needs_note, bool), status
        assert isinstance(row.needs_account, bool), status
        assert isinstance(row.handling, bool), status
        assert row.stage is None or isinstance(row.stage, Stage), status
        assert isinstance(row.restarts_clock, bool), status
        assert row.event == f"case.{status.value}", status
        assert isinstance(row.tells, Audience), status
        assert all(isinstance(queue, Queue) for queue in row.queues), status
        assert isinstance(row.closed, bool), status
        assert isinstance(row.finished, bool), status
    assert {field.name for field in dataclasses.fields(State)} == {
        "goes_to",
        "entered_by",
        "needs_note",
        "needs_account",
        "handling",
        "stage",
        "restarts_clock",
        "event",
        "tells",
        "queues",
        "closed",
        "finished",
    }


def test_every_status_but_the_report_is_entered_by_someone_and_reached_from_another():
    reached = set().union(*(row.goes_to for row in STATES.values()))
    assert reached == set(Status) - {Status.REPORTED}
    assert {status for status, row in STATES.items() if not row.entered_by} == {Status.REPORTED}


def test_a_clock_restarts_only_where_a_clock_runs():
    assert all(row.stage is not None for row in STATES.values() if row.restarts_clock)


def test_every_desk_queue_lists_some_status():
    listed = set().union(*(row.queues for row in STATES.values()))
    assert listed == set(Queue)


def test_a_closed_case_is_finished_and_a_finished_one_runs_no_clock():
    for status, row in STATES.items():
        assert not row.closed or row.finished, status
        assert not row.finished or row.stage is None, status
