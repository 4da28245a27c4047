"""What each case status means, in one table: a status change is a one-row edit here.

Every reader of a status's meaning takes it from `STATES`: the workflow (which
statuses may follow, who may enter, what must be said or shown), the SLA clock
(which stage runs, whether entering restarts it), the notices (which event,
whose inbox hears it) and the desk (which queue tabs list it). This module
sits below all of them and imports none of them.
"""

from dataclasses import dataclass
from enum import StrEnum

from civicgrid.auth.models import Role
from civicgrid.cases.roles import CENTRE, FIELD, GRID_WORKERS, HANDLERS, RESIDENTS


class Status(StrEnum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    CLAIMED = "claimed"
    EXTENSION_REQUESTED = "extension_requested"
    RETURNED = "returned"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    REOPENED = "reopened"
    CLOSED = "closed"
    RATED = "rated"
    MERGED = "merged"
    SELF_RESOLVED = "self_resolved"


class Stage(StrEnum):
    """The SLA clocks; a category gives each its hours."""

    ACCEPT = "accept"
    DISPATCH = "dispatch"
    CLAIM = "claim"
    RESOLVE = "resolve"
    VERIFY = "verify"
    CLOSE = "close"


class Audience(StrEnum):
    """Whose inbox hears that a case entered a status; subscribed webhooks hear every status."""

    NOBODY = "nobody"
    DEPARTMENT = "department"  # everyone active in the department now holding the case
    HANDLING_CENTRE = "handling_centre"  # the dispatchers of the centre holding it
    CENTRE_ABOVE = "centre_above"  # the dispatchers one level up
    REPORTERS = "reporters"  # its reporter and the reporters of the cases merged into it


class Queue(StrEnum):
    """The desk's queue tabs that list cases by status, per desk."""

    CENTRE_INTAKE = "centre.intake"
    CENTRE_IN_HAND = "centre.in_hand"
    CENTRE_TO_CLOSE = "centre.to_close"
    DEPARTMENT_MINE = "department.mine"
    DEPARTMENT_DONE = "department.done"
    FIELD_TO_VERIFY = "field.to_verify"
    FIELD_IN_HAND = "field.in_hand"


@dataclass(frozen=True, kw_only=True)
class State:
    """One status's row; every column is named in every row, so none is left out by accident.

    - goes_to: the statuses a case may move to from this one.
    - entered_by: the roles that may move a case into this status (none: only intake).
    - needs_note: entering must say why (a rejection, a return, a rework, an escalation).
    - needs_account: entering must be accounted for in words or by an evidence photo.
    - handling: entering is handling the case, which grid and community staff may do only
      where no department holds it or routing let them.
    - stage: the SLA clock this status runs (None: no clock runs).
    - restarts_clock: entering starts the stage's clock afresh even within the same stage.
    - event: the notification event entering raises.
    - tells: whose inbox hears that event.
    - queues: the desk tabs that list cases in this status.
    - closed: the case was closed for the resident (called back, counted as closed).
    - finished: the case's record is final: no evidence is added, it is no duplicate
      candidate, it no longer counts as open.
    """

    goes_to: frozenset[Status]
    entered_by: frozenset[Role]
    needs_note: bool
    needs_account: bool
    handling: bool
    stage: Stage | None
    restarts_clock: bool
    event: str
    tells: Audience
    queues: frozenset[Queue]
    closed: bool
    finished: bool


S = Status
Q = Queue
NO_ONE: frozenset[Role] = frozenset()
END: frozenset[Status] = frozenset()
NOWHERE: frozenset[Queue] = frozenset()
# EXTENSION_REQUESTED → CLAIMED is the centre deciding on an extension. The resolve clock
# keeps running while an extension is pending: asking for more time does not stop the time.
# Escalation hands the case to another centre, whose own dispatch clock starts afresh.
# A resolution is accounted for in words or by an evidence photo (办结凭证).
STATES: dict[Status, State] = {
    S.REPORTED: State(
        goes_to=frozenset({S.ACCEPTED, S.REJECTED, S.MERGED, S.SELF_RESOLVED}),
        entered_by=NO_ONE,
        needs_note=False,
        needs_account=False,
        handling=False,
        stage=Stage.ACCEPT,
        restarts_clock=False,
        event="case.reported",
        tells=Audience.NOBODY,
        queues=frozenset({Q.CENTRE_INTAKE}),
        closed=False,
        finished=False,
    ),
    S.ACCEPTED: State(
        goes_to=frozenset({S.DISPATCHED, S.ESCALATED, S.MERGED, S.REJECTED}),
        entered_by=CENTRE,
        needs_note=False,
        needs_account=False,
        handling=False,
        stage=Stage.DISPATCH,
        restarts_clock=False,
        event="case.accepted",
        tells=Audience.NOBODY,
        queues=frozenset({Q.CENTRE_IN_HAND, Q.FIELD_IN_HAND}),
        closed=False,
        finished=False,
    ),
    S.REJECTED: State(
        goes_to=END,
        entered_by=CENTRE,
        needs_note=True,
        needs_account=False,
        handling=False,
        stage=None,
        restarts_clock=False,
        event="case.rejected",
        tells=Audience.REPORTERS,
        queues=NOWHERE,
        closed=False,
        finished=True,
    ),
    S.DISPATCHED: State(
        goes_to=frozenset({S.CLAIMED, S.RETURNED}),
        entered_by=CENTRE,
        needs_note=False,
        needs_account=False,
        handling=False,
        stage=Stage.CLAIM,
        restarts_clock=False,
        event="case.dispatched",
        tells=Audience.DEPARTMENT,
        queues=frozenset({Q.CENTRE_IN_HAND, Q.DEPARTMENT_MINE, Q.FIELD_IN_HAND}),
        closed=False,
        finished=False,
    ),
    S.CLAIMED: State(
        goes_to=frozenset({S.RESOLVED, S.RETURNED, S.EXTENSION_REQUESTED}),
        entered_by=HANDLERS | CENTRE,
        needs_note=False,
        needs_account=False,
        handling=True,
        stage=Stage.RESOLVE,
        restarts_clock=False,
        event="case.claimed",
        tells=Audience.NOBODY,
        queues=frozenset({Q.CENTRE_IN_HAND, Q.DEPARTMENT_MINE, Q.FIELD_IN_HAND}),
        closed=False,
        finished=False,
    ),
    S.EXTENSION_REQUESTED: State(
        goes_to=frozenset({S.CLAIMED}),
        entered_by=HANDLERS,
        needs_note=True,
        needs_account=False,
        handling=True,
        stage=Stage.RESOLVE,
        restarts_clock=False,
        event="case.extension_requested",
        tells=Audience.NOBODY,
        queues=frozenset({Q.CENTRE_IN_HAND, Q.DEPARTMENT_MINE, Q.FIELD_IN_HAND}),
        closed=False,
        finished=False,
    ),
    S.RETURNED: State(
        goes_to=frozenset({S.DISPATCHED, S.ESCALATED, S.REJECTED}),
        entered_by=HANDLERS,
        needs_note=True,
        needs_account=False,
        handling=True,
        stage=Stage.DISPATCH,
        restarts_clock=False,
        event="case.returned",
        tells=Audience.HANDLING_CENTRE,
        queues=frozenset({Q.CENTRE_IN_HAND, Q.FIELD_IN_HAND}),
        closed=False,
        finished=False,
    ),
    S.ESCALATED: State(
        goes_to=frozenset({S.ACCEPTED}),
        entered_by=CENTRE,
        needs_note=True,
        needs_account=False,
        handling=False,
        stage=Stage.DISPATCH,
        restarts_clock=True,
        event="case.escalated",
        tells=Audience.CENTRE_ABOVE,
        queues=frozenset({Q.CENTRE_IN_HAND}),
        closed=False,
        finished=False,
    ),
    S.RESOLVED: State(
        goes_to=frozenset({S.VERIFIED, S.REOPENED}),
        entered_by=HANDLERS,
        needs_note=False,
        needs_account=True,
        handling=True,
        stage=Stage.VERIFY,
        restarts_clock=False,
        event="case.resolved",
        tells=Audience.REPORTERS,
        queues=frozenset({Q.DEPARTMENT_DONE, Q.FIELD_TO_VERIFY}),
        closed=False,
        finished=False,
    ),
    S.VERIFIED: State(
        goes_to=frozenset({S.CLOSED}),
        entered_by=FIELD,
        needs_note=False,
        needs_account=False,
        handling=False,
        stage=Stage.CLOSE,
        restarts_clock=False,
        event="case.verified",
        tells=Audience.NOBODY,
        queues=frozenset({Q.CENTRE_TO_CLOSE, Q.DEPARTMENT_DONE}),
        closed=False,
        finished=False,
    ),
    S.REOPENED: State(
        goes_to=frozenset({S.CLAIMED, S.RETURNED}),
        entered_by=CENTRE | FIELD,
        needs_note=True,
        needs_account=False,
        handling=False,
        stage=Stage.RESOLVE,
        restarts_clock=False,
        event="case.reopened",
        tells=Audience.NOBODY,
        queues=frozenset({Q.CENTRE_IN_HAND, Q.DEPARTMENT_MINE, Q.FIELD_IN_HAND}),
        closed=False,
        finished=False,
    ),
    S.CLOSED: State(
        goes_to=frozenset({S.RATED, S.REOPENED}),
        entered_by=CENTRE,
        needs_note=False,
        needs_account=False,
        handling=False,
        stage=None,
        restarts_clock=False,
        event="case.closed",
        tells=Audience.REPORTERS,
        queues=frozenset({Q.DEPARTMENT_DONE}),
        closed=True,
        finished=True,
    ),
    S.RATED: State(
        goes_to=frozenset({S.REOPENED}),
        entered_by=RESIDENTS,
        needs_note=False,
        needs_account=False,
        handling=False,
        stage=None,
        restarts_clock=False,
        event="case.rated",
        tells=Audience.NOBODY,
        queues=frozenset({Q.DEPARTMENT_DONE}),
        closed=True,
        finished=True,
    ),
    S.MERGED: State(
        goes_to=END,
        entered_by=CENTRE,
        needs_note=False,
        needs_account=False,
        handling=False,
        stage=None,
        restarts_clock=False,
        event="case.merged",
        tells=Audience.NOBODY,
        queues=NOWHERE,
        closed=False,
        finished=True,
    ),
    S.SELF_RESOLVED: State(
        goes_to=frozenset({S.CLOSED}),
        entered_by=GRID_WORKERS,
        needs_note=False,
        needs_account=True,
        handling=False,
        stage=Stage.CLOSE,
        restarts_clock=False,
        event="case.self_resolved",
        tells=Audience.NOBODY,
        queues=frozenset({Q.CENTRE_TO_CLOSE}),
        closed=False,
        finished=False,
    ),
}

# The table's columns as the sets its readers look things up in.
ALLOWED: dict[Status, frozenset[Status]] = {status: STATES[status].goes_to for status in Status}
MAY_ENTER: dict[Status, frozenset[Role]] = {status: STATES[status].entered_by for status in Status}
NEEDS_NOTE = frozenset(status for status in Status if STATES[status].needs_note)
NEEDS_ACCOUNT = frozenset(status for status in Status if STATES[status].needs_account)
HANDLING = frozenset(status for status in Status if STATES[status].handling)
CASE_EVENTS = frozenset(STATES[status].event for status in Status)
CLOSED = frozenset(status for status in Status if STATES[status].closed)
FINISHED = frozenset(status for status in Status if STATES[status].finished)


def stage_of(status: str) -> Stage | None:
    """The clock a status (given as its stored value) runs."""
    return STATES[Status(status)].stage


def statuses_in(queue: Queue) -> list[str]:
    """The stored values of the statuses a desk tab lists, in the table's order."""
    return [status.value for status in Status if queue in STATES[status].queues]
