"""Which disputes an actor may read: the one statement of each role's reading rule.

Every query that returns disputes filters with `readable(actor)`: the
jurisdiction filter (`auth.scope.in_scope`) and, inside it, the role's rule.
The staff and mediators of an area (`roles.READERS`) read its disputes. A
dispute's parties, sessions, triage and agreement are confidential mediation
records, so a department handler (the police among them), a resident and any
integration or device key read none; a new role reads nothing until a rule is
written here.
"""

from sqlalchemy import ColumnElement, false

from civicgrid.auth.scope import Actor, in_scope
from civicgrid.disputes.models import Dispute
from civicgrid.disputes.roles import READERS


def readable(actor: Actor) -> ColumnElement[bool]:
    """The disputes the actor may read, as a condition on `Dispute`."""
    if actor.kind != "user" or actor.role not in READERS:
        return false()
    return in_scope(actor, Dispute.region_code)
