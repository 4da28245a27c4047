"""Where a sample case would go: the routing table tried on facts an administrator types.

It runs the same `routing.route` intake runs, so the preview cannot disagree with
what a real case of that category, place, channel and priority gets. Nothing is
stored; the region must lie inside the reader's jurisdiction.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor, may_see
from civicgrid.auth.service import require_role
from civicgrid.cases import routing
from civicgrid.cases.models import CHANNELS, PRIORITIES, RoutingRule
from civicgrid.cases.roles import RULE_READERS
from civicgrid.categories.taxonomy import require_category
from civicgrid.divisions import normalise_code
from civicgrid.errors import Forbidden, Invalid
from civicgrid.geo.models import Region


@dataclass(frozen=True)
class Sample:
    region_code: str
    channel: str
    category_code: str | None = None
    priority: str = "normal"


@dataclass(frozen=True)
class Preview:
    rule: RoutingRule | None
    handling_region_code: str
    handling_region_name: str
    department: Department | None
    grid_may_handle: bool
    reason: str


def preview(db: Session, actor: Actor, sample: Sample) -> Preview:
    require_role(actor, RULE_READERS)
    region = normalise_code(sample.region_code)
    if db.scalar(select(Region.code).where(Region.code == region)) is None:
        raise Invalid("region_not_found", code=sample.region_code)
    if not may_see(actor, region):
        raise Forbidden("scope_outside_jurisdiction", code=region)
    if sample.channel not in CHANNELS:
        raise Invalid("case_channel_unknown", channel=sample.channel, channels=", ".join(CHANNELS))
    if sample.priority not in PRIORITIES:
        raise Invalid("case_priority_unknown", priority=sample.priority)
    departments = {}
    if sample.category_code:
        departments = require_category(db, sample.category_code).default_departments or {}
    decision = routing.route(
        db,
        routing.CaseFacts(
            category_code=sample.category_code or None,
            region_code=region,
            channel=sample.channel,
            priority=sample.priority,
            category_departments=departments,
        ),
    )
    unit = decision.handling_region_code
    return Preview(
        rule=None if decision.rule_id is None else db.get(RoutingRule, decision.rule_id),
        handling_region_code=unit,
        handling_region_name=db.scalar(select(Region.name).where(Region.code == unit)) or unit,
        department=None
        if decision.department_id is None
        else db.get(Department, decision.department_id),
        grid_may_handle=decision.grid_may_handle,
        reason=decision.reason,
    )
