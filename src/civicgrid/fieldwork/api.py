"""HTTP routes of fieldwork: plans, the day's tasks, records, flags, weights and scores."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from sqlalchemy.orm import Session

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.db import RowId
from civicgrid.errors import Invalid
from civicgrid.fieldwork import duty, flags, plans, scoring, service
from civicgrid.fieldwork.models import Record, TaskType
from civicgrid.fieldwork.schemas import (
    DutyIn,
    FindingOut,
    FlagOut,
    OnDutyOut,
    PlanActiveIn,
    PlanIn,
    PlanOut,
    RecordIn,
    RecordOut,
    ScoreOut,
    SummonIn,
    TaskOut,
    TaskTypeOut,
    WeightOut,
    WeightsIn,
)
from civicgrid.i18n import translate
from civicgrid.timeutil import DISPLAY_ZONE, utcnow

router = APIRouter(prefix="/api/v1/fieldwork", tags=["fieldwork"])


def _today() -> date:
    return utcnow().astimezone(DISPLAY_ZONE).date()


@router.get("/task-types", response_model=list[TaskTypeOut])
def get_task_types(locale: Locale) -> list[TaskTypeOut]:
    return [TaskTypeOut.of(task_type, locale) for task_type in TaskType]


@router.get("/plans", response_model=list[PlanOut])
def get_plans(db: DbSession, actor: CurrentActor) -> list[PlanOut]:
    return [PlanOut.model_validate(plan) for plan in plans.list_plans(db, actor)]


@router.post("/plans", response_model=PlanOut, status_code=status.HTTP_201_CREATED)
def post_plan(body: PlanIn, db: DbSession, actor: CurrentActor) -> PlanOut:
    plan = plans.create_plan(db, actor, **body.model_dump())
    db.commit()
    return PlanOut.model_validate(plan)


@router.put("/plans/{plan_id}/active", response_model=PlanOut)
def put_plan_active(
    plan_id: RowId, body: PlanActiveIn, db: DbSession, actor: CurrentActor
) -> PlanOut:
    plan = plans.set_plan_active(db, actor, plan_id=plan_id, active=body.active)
    db.commit()
    return PlanOut.model_validate(plan)


@router.get("/tasks", response_model=list[TaskOut])
def get_tasks(
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    date: date | None = None,
    grid: str | None = None,
) -> list[TaskOut]:
    """The signed-in worker's tasks for the day (today in Beijing time by default)."""
    tasks = plans.tasks_for(db, actor, day=date or _today(), grid=grid)
    db.commit()
    return [TaskOut.of(task, locale) for task in tasks]


@router.post("/records", response_model=RecordOut, status_code=status.HTTP_201_CREATED)
def post_record(
    body: RecordIn,
    request: Request,
    response: Response,
    db: DbSession,
    actor: CurrentActor,
    *,
    locale: Locale,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=100)] = None,
) -> RecordOut:
    """One record from a phone; re-sending it with the same key returns the first one."""
    if idempotency_key and body.client_id and idempotency_key != body.client_id:
        raise Invalid("fieldwork_key_mismatch")
    record, created = service.submit_record(
        db,
        request.app.state.grid_index,
        actor=actor,
        data=body.to_input(),
        client_key=idempotency_key or body.client_id,
    )
    db.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return record_out(db, record, locale)


@router.get("/records", response_model=list[RecordOut])
def get_records(
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    date: date | None = None,
) -> list[RecordOut]:
    return [record_out(db, record, locale) for record in service.list_records(db, actor, day=date)]


def record_out(db: Session, record: Record, locale: str) -> RecordOut:
    out = RecordOut.of(record, locale)
    out.task_id = service.task_of(db, record.id)
    out.photos = service.photo_hashes_of(db, record.id)
    out.flags = service.flag_kinds_of(db, record.id)
    out.assessment = [
        FindingOut(
            item=finding.item,
            label=translate(f"fieldwork.item.{finding.item}", locale),
            hazard=finding.hazard,
            note=finding.note,
        )
        for finding in service.findings_of(db, record.id)
    ]
    return out


@router.get("/flags", response_model=list[FlagOut])
def get_flags(db: DbSession, actor: CurrentActor, locale: Locale) -> list[FlagOut]:
    return [FlagOut.of(view, locale) for view in flags.list_flags(db, actor)]


@router.get("/weights", response_model=list[WeightOut])
def get_weights(db: DbSession, actor: CurrentActor, locale: Locale) -> list[WeightOut]:
    return _weights_out(scoring.weights(db), locale)


@router.put("/weights", response_model=list[WeightOut])
def put_weights(
    body: WeightsIn, db: DbSession, actor: CurrentActor, locale: Locale
) -> list[WeightOut]:
    """Administrators set points per task type; scores follow at once (they are not stored)."""
    changed = scoring.set_weights(db, actor, body.weights)
    db.commit()
    return _weights_out(changed, locale)


def _weights_out(weights: dict[str, float], locale: str) -> list[WeightOut]:
    return [
        WeightOut(key=key, label=translate(f"fieldwork.task.{key}", locale), weight=value)
        for key, value in weights.items()
    ]


@router.get("/scores", response_model=list[ScoreOut])
def get_scores(
    db: DbSession,
    actor: CurrentActor,
    month: str | None = None,
    level: scoring.RankLevel = scoring.RankLevel.COMMUNITY,
) -> list[ScoreOut]:
    """The month's scores of the workers in the caller's area, ranked within community or street."""
    scores = scoring.month_scores(db, actor, month=scoring.parse_month(month), level=level)
    return [ScoreOut.of(score) for score in scores]


@router.put("/duty", response_model=OnDutyOut)
def put_duty(body: DutyIn, db: DbSession, actor: CurrentActor) -> OnDutyOut:
    """On duty at this position (the app sends it every minute or so during the shift)."""
    position = duty.report_position(
        db,
        actor,
        lng=body.lng,
        lat=body.lat,
        crs=body.crs,
        accuracy_m=body.accuracy_m,
        now=utcnow(),
    )
    db.commit()
    return OnDutyOut(
        username=actor.username,
        display_name=actor.display_name,
        lng=position.lng,
        lat=position.lat,
        reported_at=position.reported_at,
        region_code=position.region_code,
        distance_m=None,
    )


@router.delete("/duty", status_code=status.HTTP_204_NO_CONTENT)
def delete_duty(db: DbSession, actor: CurrentActor) -> Response:
    """Off duty: the position is deleted, not kept."""
    duty.go_off_duty(db, actor)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/duty", response_model=list[OnDutyOut])
def get_duty(db: DbSession, actor: CurrentActor, case: str | None = None) -> list[OnDutyOut]:
    """Workers on duty in the caller's area; with `case`, nearest to that case first."""
    now = utcnow()
    found = (
        duty.near_case(db, actor, number=case, now=now)
        if case
        else duty.on_duty(db, actor, now=now)
    )
    return [OnDutyOut.model_validate(worker) for worker in found]


@router.post("/duty/summon", response_model=OnDutyOut)
def post_summon(body: SummonIn, db: DbSession, actor: CurrentActor) -> OnDutyOut:
    """Send an on-duty worker to a case (dispatch to the nearest)."""
    worker = duty.summon(db, actor, number=body.case_number, username=body.username, now=utcnow())
    db.commit()
    return OnDutyOut.model_validate(worker)
