"""Case endpoints: intake, reading, and the one transition door."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.deps import CurrentActor, CurrentVisitor, DbSession, Locale, OptionalActor
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.cases import naming, queue, routing, routing_preview, service, sla, supervision
from civicgrid.cases.models import API_CHANNEL, CHANNELS, RESIDENT_CHANNEL, Case, CaseComponent
from civicgrid.cases.queue import queue_query
from civicgrid.cases.roles import BATCH_ROLES, RULE_READERS
from civicgrid.cases.schemas import (
    ActionOut,
    BatchIn,
    BatchItemOut,
    BulkItemOut,
    BulkTransitionIn,
    CaseComponentOut,
    CaseFilterIn,
    CaseIn,
    CaseOut,
    CaseSupervisionOut,
    ComponentLinkIn,
    MoveOut,
    RoutingPreviewOut,
    RoutingRuleIn,
    RoutingRuleOut,
    RoutingSampleIn,
    SupervisionOut,
    TransitionIn,
)
from civicgrid.cases.states import NEEDS_ACCOUNT, NEEDS_NOTE, Status
from civicgrid.cases.supervision import list_supervisions
from civicgrid.cases.workflow import Change, moves_for, transition
from civicgrid.components.classes import class_of
from civicgrid.components.service import component_by_id
from civicgrid.db import RowId
from civicgrid.errors import DomainError, Forbidden
from civicgrid.i18n import translate
from civicgrid.timeutil import utcnow

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@router.post("", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
def post_case(
    body: CaseIn,
    request: Request,
    response: Response,
    db: DbSession,
    actor: OptionalActor,
    *,
    locale: Locale,
    visitor: CurrentVisitor,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseOut:
    """Report a case from any channel; anonymous residents may report too, at a bounded rate."""
    if not actor.authenticated:
        visitor.throttle.spend((visitor.budgets.report_per_address, visitor.address))
    channel = _own_channel(actor, body.channel)
    intake = service.Intake(**body.model_dump(exclude={"channel"}), channel=channel)
    case, created = service.report_case(
        db,
        request.app.state.grid_index,
        intake=intake,
        actor=actor,
        idempotency_key=idempotency_key,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return case_out(db, case, locale)


@router.post("/batch", response_model=list[BatchItemOut])
def post_batch(
    body: BatchIn, request: Request, db: DbSession, actor: CurrentActor
) -> list[BatchItemOut]:
    """Many reports at once (hotline and system imports): all stored, or none."""
    _require_batch_sender(actor)
    submissions = [
        service.Submission(
            service.Intake(
                **item.model_dump(exclude={"idempotency_key", "channel"}),
                channel=_own_channel(actor, item.channel),
            ),
            item.idempotency_key,
        )
        for item in body.cases
    ]
    results = service.report_cases(db, request.app.state.grid_index, submissions, actor=actor)
    return [
        BatchItemOut(index=position, number=case.number, created=created)
        for position, (case, created) in enumerate(results)
    ]


def _own_channel(actor: Actor, asked: str | None) -> str:
    """The channel a report is filed through. A resident, signed in or not, reports as a
    resident: the hotline, the 110 referral, a petition or a device are channels the
    centre's staff and connected systems speak for, and their cases are routed and counted
    as such. Unsaid, a resident's report is a resident's and a system's is `api`. (A
    channel that does not exist is the intake's own 422, whoever sends it.)"""
    speaks_for_others = actor.kind == "api_key" or (
        actor.authenticated and actor.role is not Role.RESIDENT
    )
    if asked is None:
        return API_CHANNEL if speaks_for_others else RESIDENT_CHANNEL
    if asked in CHANNELS and asked != RESIDENT_CHANNEL and not speaks_for_others:
        raise Forbidden("case_channel_not_yours", channel=asked)
    return asked


def _require_batch_sender(actor: Actor) -> None:
    if actor.kind != "api_key" and actor.role not in BATCH_ROLES:
        raise Forbidden("role_not_allowed")


@router.get("", response_model=list[CaseOut])
def get_cases(
    response: Response,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    asked: Annotated[CaseFilterIn, Query()],
) -> list[CaseOut]:
    """A queue: the actor's cases filtered, newest first; X-Total-Count gives the full count.

    `mine` is the department handler's own queue: what their department holds. The other
    filters are the workbench's columns (`cases.queue`); all stay inside `readable`.
    """
    query = queue_query(db, actor, asked)
    cases, total = queue.list_cases(db, actor, query, limit=asked.limit, offset=asked.offset)
    response.headers["X-Total-Count"] = str(total)
    return [case_out(db, case, locale) for case in cases]


@router.post("/transitions", response_model=list[BulkItemOut])
def post_bulk_transition(
    body: BulkTransitionIn, db: DbSession, actor: CurrentActor, locale: Locale
) -> list[BulkItemOut]:
    """The same move for many cases; each is its own savepoint, so one refusal stops no other."""
    department = auth_service.department_id(db, body.department_code)
    results = []
    for number in body.numbers:
        try:
            with db.begin_nested():
                case = service.visible_case(db, actor, number)
                change = Change(to=body.to, note=body.note, department_id=department)
                moved = transition(db, case_id=case.id, change=change, actor=actor)
        except DomainError as refusal:
            results.append(BulkItemOut(number=number, moved=False, error=refusal.message(locale)))
            continue
        results.append(BulkItemOut(number=number, moved=True, status=moved.status))
    db.commit()
    return results


@router.get("/{number}", response_model=CaseOut)
def get_case(number: str, db: DbSession, actor: CurrentActor, locale: Locale) -> CaseOut:
    """One case as its page shows it: with the names of its category and place."""
    case = service.visible_case(db, actor, number)
    out = case_out(db, case, locale)
    out.category_name = naming.category_name(db, case.category_code, locale)
    out.place_name = naming.place_name(db, case.grid_code or case.region_code)
    return out


@router.get("/{number}/actions", response_model=list[ActionOut])
def get_actions(number: str, db: DbSession, actor: CurrentActor) -> list[ActionOut]:
    case = service.visible_case(db, actor, number)
    actions = [ActionOut.model_validate(action) for action in service.history(db, case)]
    names = naming.actor_names(db, (action.actor for action in actions))
    for action in actions:
        action.actor_name = names.get(action.actor, "")
    return actions


@router.get("/{number}/supervisions", response_model=list[CaseSupervisionOut])
def get_case_supervisions(
    number: str, db: DbSession, actor: CurrentActor
) -> list[CaseSupervisionOut]:
    """The urges (催办) and 督办 raised on one case, oldest first, for its view on the desk."""
    return [CaseSupervisionOut.of(raised) for raised in supervision.on_case(db, actor, number)]


@router.get("/{number}/moves", response_model=list[MoveOut])
def get_moves(number: str, db: DbSession, actor: CurrentActor, locale: Locale) -> list[MoveOut]:
    """The moves the reader may make on this case now (what a page draws as buttons)."""
    case = service.visible_case(db, actor, number)
    deciding = Status(case.status) is Status.EXTENSION_REQUESTED
    return [
        MoveOut(
            to=target.value,
            label=translate(f"case.move.{target.value}", locale),
            needs_note=target in NEEDS_NOTE,
            needs_account=target in NEEDS_ACCOUNT,
            needs_department=target is Status.DISPATCHED,
            needs_decision=deciding,
        )
        for target in moves_for(actor, case)
    ]


@router.post("/{number}/transitions", response_model=CaseOut)
def post_transition(
    number: str, body: TransitionIn, db: DbSession, actor: CurrentActor, locale: Locale
) -> CaseOut:
    case = service.visible_case(db, actor, number)
    department = auth_service.department_id(db, body.department_code)
    change = Change(
        to=body.to,
        note=body.note,
        version=body.version,
        approve=body.approve,
        department_id=department,
    )
    moved = transition(db, case_id=case.id, change=change, actor=actor)
    db.commit()
    return case_out(db, moved, locale)


@router.put("/{number}/component", response_model=CaseOut)
def put_component(
    number: str, body: ComponentLinkIn, db: DbSession, actor: CurrentActor, locale: Locale
) -> CaseOut:
    """Staff say which component (部件) the case is about, or `null` for none."""
    case = service.link_component(db, actor, number, code=body.code)
    db.commit()
    return case_out(db, case, locale)


def case_out(db: Session, case: Case, locale: str) -> CaseOut:
    """A case as the reader sees it: the routing reason in their language, its SLA light now."""
    out = CaseOut.model_validate(case)
    out.routing_explanation = routing.explain(case.routing_reason, locale)
    light = sla.light_for(db, case, utcnow())
    out.sla_light = light.value if light is not None else None
    out.component = _component_out(db, case, locale)
    return out


def _component_out(db: Session, case: Case, locale: str) -> CaseComponentOut | None:
    """A readable case shows the component it is about, wherever that component is kept."""
    component_id = db.scalar(
        select(CaseComponent.component_id).where(CaseComponent.case_id == case.id)
    )
    if component_id is None:
        return None
    component = component_by_id(db, component_id)
    return CaseComponentOut(
        code=component.code,
        name=component.name,
        class_code=component.class_code,
        class_name=class_of(component.class_code).label(locale),
        status=component.status,
        lng=component.lng,
        lat=component.lat,
        address=component.address,
    )


rules_router = APIRouter(prefix="/api/v1/routing-rules", tags=["routing"])


@rules_router.get("", response_model=list[RoutingRuleOut])
def get_rules(db: DbSession, actor: CurrentActor) -> list[RoutingRuleOut]:
    """The whole table in order; dispatchers read it to understand a routing."""
    auth_service.require_role(actor, RULE_READERS)
    return [RoutingRuleOut.model_validate(rule) for rule in routing.active_and_inactive(db)]


@rules_router.post("", response_model=RoutingRuleOut, status_code=status.HTTP_201_CREATED)
def post_rule(body: RoutingRuleIn, db: DbSession, actor: CurrentActor) -> RoutingRuleOut:
    routing.require_author(db, actor, _rule(body))
    rule = routing.add_rule(db, actor, _rule(body), position=body.position)
    db.commit()
    return RoutingRuleOut.model_validate(rule)


@rules_router.put("/{rule_id}", response_model=RoutingRuleOut)
def put_rule(
    rule_id: RowId, body: RoutingRuleIn, db: DbSession, actor: CurrentActor
) -> RoutingRuleOut:
    routing.require_author(db, actor, _rule(body), rule_id=rule_id)
    rule = routing.change_rule(db, actor, rule_id, _rule(body), position=body.position)
    db.commit()
    return RoutingRuleOut.model_validate(rule)


@rules_router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: RowId, db: DbSession, actor: CurrentActor) -> None:
    routing.require_author(db, actor, None, rule_id=rule_id)
    routing.remove_rule(db, actor, rule_id)
    db.commit()


@rules_router.post("/preview", response_model=RoutingPreviewOut)
def post_preview(
    body: RoutingSampleIn, db: DbSession, actor: CurrentActor, locale: Locale
) -> RoutingPreviewOut:
    """Which rule a sample case (category, region, channel, priority) meets and where it goes;
    stores nothing."""
    found = routing_preview.preview(db, actor, routing_preview.Sample(**body.model_dump()))
    return RoutingPreviewOut(
        rule=None if found.rule is None else RoutingRuleOut.model_validate(found.rule),
        handling_region_code=found.handling_region_code,
        handling_region_name=found.handling_region_name,
        department_code=found.department.code if found.department else None,
        department_name=found.department.name if found.department else None,
        grid_may_handle=found.grid_may_handle,
        reason=routing.explain(found.reason, locale),
    )


def _rule(body: RoutingRuleIn) -> routing.RuleIn:
    return routing.RuleIn(**body.model_dump(exclude={"position"}))


supervisions_router = APIRouter(prefix="/api/v1/supervisions", tags=["supervision"])


@supervisions_router.get("", response_model=list[SupervisionOut])
def get_supervisions(
    db: DbSession, actor: CurrentActor, open_only: bool = True
) -> list[SupervisionOut]:
    """Urges and 督办 raised to the caller's centre or on cases in its jurisdiction."""
    rows = list_supervisions(db, actor, open_only=open_only)
    return [SupervisionOut.of(supervision, case) for supervision, case in rows]
