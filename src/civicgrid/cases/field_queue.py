"""The grid worker's own cases in the field app: mine, to verify, returned to me.

- mine: open cases the worker reported or acted on (their label is in the case's
  history), newest first;
- to verify: cases of their area waiting for a check on the spot (the states
  table's `field.to_verify` queue);
- returned: cases of theirs sent back to be done again (returned or reopened).

Every list goes through `cases.access.readable`, the one reading rule.
"""

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.scope import Actor
from civicgrid.auth.service import require_role
from civicgrid.cases.access import readable
from civicgrid.cases.models import Case, CaseAction
from civicgrid.cases.roles import FIELD_HANDLERS
from civicgrid.cases.states import FINISHED, Queue, Status, statuses_in
from civicgrid.cases.workflow import actor_label

LIMIT = 100
RETURNED = (Status.RETURNED.value, Status.REOPENED.value)


class FieldTab(StrEnum):
    MINE = "mine"
    TO_VERIFY = "to_verify"
    RETURNED = "returned"


def field_cases(db: Session, actor: Actor, tab: FieldTab) -> list[Case]:
    require_role(actor, FIELD_HANDLERS)
    query = select(Case).where(readable(actor))
    if tab is FieldTab.TO_VERIFY:
        query = query.where(Case.status.in_(statuses_in(Queue.FIELD_TO_VERIFY)))
    else:
        touched = select(CaseAction.case_id).where(CaseAction.actor == actor_label(actor))
        query = query.where(Case.id.in_(touched))
        if tab is FieldTab.MINE:
            query = query.where(Case.status.not_in([status.value for status in FINISHED]))
        else:
            query = query.where(Case.status.in_(RETURNED))
    return list(db.scalars(query.order_by(Case.updated_at.desc(), Case.id.desc()).limit(LIMIT)))
