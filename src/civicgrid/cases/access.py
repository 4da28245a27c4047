"""Which cases an actor may read: the one statement of each role's reading rule.

Every query that returns cases filters with `readable(actor)`: the jurisdiction
filter (`auth.scope.in_scope`) and, inside it, the role's rule.

- staff of an area (`roles.AREA_READERS`) read every case in their area;
- a resident reads only the cases they reported themselves;
- a department handler reads what its department holds or held (`CaseHolding`);
- an integration key reads its scope; any other key (a device) only reports.

Anyone else (a role without a rule, an account without a department) reads nothing:
a new role is refused until a rule is written here.
"""

from sqlalchemy import ColumnElement, false, select, true

from civicgrid.auth.models import KeyKind
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.cases.models import Case, CaseHolding
from civicgrid.cases.roles import AREA_READERS, HOLDING_READERS, OWN_REPORT_READERS

READING_KEYS = frozenset({KeyKind.INTEGRATION.value})


def readable(actor: Actor) -> ColumnElement[bool]:
    """The cases the actor may read, as a condition on `Case`."""
    return in_scope(actor, Case.region_code) & role_rule(actor)


def role_rule(actor: Actor) -> ColumnElement[bool]:
    """The role's part of `readable`, inside the actor's jurisdiction."""
    if actor.kind == "api_key":
        return true() if actor.key_kind in READING_KEYS else false()
    if actor.role in AREA_READERS:
        return true()
    if actor.role in OWN_REPORT_READERS and actor.user_id is not None:
        return Case.reporter_user_id == actor.user_id
    if actor.role in HOLDING_READERS and actor.department_id is not None:
        held = select(CaseHolding.case_id).where(CaseHolding.department_id == actor.department_id)
        return Case.id.in_(held)
    return false()


def reads_in_memory(actor: Actor, *, region_code: str, reporter_user_id: int | None) -> bool | None:
    """`readable` for one case already in hand, or None when the rule needs the database.

    The live stream's one poller reads each new case once for every open stream
    and sorts it out here; a department handler's rule (what its department holds)
    is asked of the database instead.
    """
    if not may_see(actor, region_code):
        return False
    if actor.kind == "api_key":
        return actor.key_kind in READING_KEYS
    if actor.role in AREA_READERS:
        return True
    if actor.role in OWN_REPORT_READERS and actor.user_id is not None:
        return reporter_user_id == actor.user_id
    if actor.role in HOLDING_READERS and actor.department_id is not None:
        return None
    return False
