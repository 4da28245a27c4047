"""What each dispute status means, in one table: a status change is a one-row edit here.

The workflow reads which statuses may follow, who may enter and what entering
needs; the service reads which statuses have their own endpoint, count towards
a mediator's load and take follow-up visits. This module imports none of them.
"""

from dataclasses import dataclass
from enum import StrEnum

from civicgrid.auth.models import Role
from civicgrid.disputes.roles import CENTRE, MEDIATORS


class Status(StrEnum):
    REGISTERED = "registered"
    ASSIGNED = "assigned"
    MEDIATING = "mediating"
    AGREED = "agreed"
    FAILED = "failed"
    JUDICIAL_CONFIRMATION_REQUESTED = "judicial_confirmation_requested"
    REFERRED = "referred"
    CLOSED = "closed"


class Need(StrEnum):
    """What a change into a status must carry."""

    NOTHING = "nothing"
    MEDIATOR = "mediator"
    REFERRAL_TARGET = "referral_target"
    REASON = "reason"
    AGREEMENT = "agreement"


@dataclass(frozen=True, kw_only=True)
class State:
    """One status's row; every column is named in every row, so none is left out by accident.

    - goes_to: the statuses a dispute may move to from this one.
    - entered_by: the roles that may move a dispute into this status (none: only registration);
      a mediator only on a dispute assigned to them, or taking an unassigned one on themselves.
    - needs: what the change into this status must carry.
    - own_endpoint: entered only through its own endpoint (assigning, recording an agreement),
      never through the generic move (registering is no move at all: nobody may enter it).
    - mediator_load: counts towards the open load of the dispute's mediator.
    - follow_up: return visits may be recorded while a dispute is in this status.
    """

    goes_to: frozenset[Status]
    entered_by: frozenset[Role]
    needs: Need
    own_endpoint: bool
    mediator_load: bool
    follow_up: bool


S = Status
NO_ONE: frozenset[Role] = frozenset()
# ASSIGNED → ASSIGNED is a re-assignment: no new status, but a history row all the same.
STATES: dict[Status, State] = {
    S.REGISTERED: State(
        goes_to=frozenset({S.ASSIGNED}),
        entered_by=NO_ONE,
        needs=Need.NOTHING,
        own_endpoint=False,
        mediator_load=False,
        follow_up=False,
    ),
    S.ASSIGNED: State(
        goes_to=frozenset({S.ASSIGNED, S.MEDIATING}),
        entered_by=CENTRE | MEDIATORS,
        needs=Need.MEDIATOR,
        own_endpoint=True,
        mediator_load=True,
        follow_up=False,
    ),
    S.MEDIATING: State(
        goes_to=frozenset({S.AGREED, S.FAILED}),
        entered_by=MEDIATORS,
        needs=Need.NOTHING,
        own_endpoint=False,
        mediator_load=True,
        follow_up=False,
    ),
    S.AGREED: State(
        goes_to=frozenset({S.JUDICIAL_CONFIRMATION_REQUESTED, S.CLOSED}),
        entered_by=MEDIATORS,
        needs=Need.AGREEMENT,
        own_endpoint=True,
        mediator_load=False,
        follow_up=True,
    ),
    S.FAILED: State(
        goes_to=frozenset({S.REFERRED}),
        entered_by=MEDIATORS,
        needs=Need.REASON,
        own_endpoint=False,
        mediator_load=False,
        follow_up=False,
    ),
    S.JUDICIAL_CONFIRMATION_REQUESTED: State(
        goes_to=frozenset({S.CLOSED}),
        entered_by=MEDIATORS,
        needs=Need.NOTHING,
        own_endpoint=False,
        mediator_load=False,
        follow_up=True,
    ),
    S.REFERRED: State(
        goes_to=frozenset({S.CLOSED}),
        entered_by=MEDIATORS | CENTRE,
        needs=Need.REFERRAL_TARGET,
        own_endpoint=False,
        mediator_load=False,
        follow_up=False,
    ),
    S.CLOSED: State(
        goes_to=frozenset(),
        entered_by=MEDIATORS | CENTRE,
        needs=Need.NOTHING,
        own_endpoint=False,
        mediator_load=False,
        follow_up=False,
    ),
}

# The table's columns as the sets its readers look things up in.
ALLOWED: dict[Status, frozenset[Status]] = {status: STATES[status].goes_to for status in Status}
MAY_ENTER: dict[Status, frozenset[Role]] = {status: STATES[status].entered_by for status in Status}
OWN_ENDPOINT = frozenset(status for status in Status if STATES[status].own_endpoint)
MEDIATOR_LOAD = frozenset(status for status in Status if STATES[status].mediator_load)
FOLLOW_UP = frozenset(status for status in Status if STATES[status].follow_up)
