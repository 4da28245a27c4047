"""Case endpoints: intake, reading, and the one transition door."""

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from civicgrid.auth import service as auth_service
from civicgrid.cases import service
from civicgrid.cases.schemas import ActionOut, CaseIn, CaseOut, TransitionIn
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.deps import CurrentActor, DbSession, OptionalActor

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@router.post("", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
def post_case(
    body: CaseIn,
    request: Request,
    response: Response,
    db: DbSession,
    actor: OptionalActor,
    *,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseOut:
    """Report a case from any channel; anonymous residents may report too."""
    intake = service.Intake(**body.model_dump())
    case, created = service.report_case(
        db,
        request.app.state.grid_index,
        intake=intake,
        actor=actor,
        idempotency_key=idempotency_key,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return CaseOut.model_validate(case)


@router.get("", response_model=list[CaseOut])
def get_cases(db: DbSession, actor: CurrentActor, state: Status | None = None) -> list[CaseOut]:
    return [CaseOut.model_validate(case) for case in service.list_cases(db, actor, status=state)]


@router.get("/{number}", response_model=CaseOut)
def get_case(number: str, db: DbSession, actor: CurrentActor) -> CaseOut:
    return CaseOut.model_validate(service.visible_case(db, actor, number))


@router.get("/{number}/actions", response_model=list[ActionOut])
def get_actions(number: str, db: DbSession, actor: CurrentActor) -> list[ActionOut]:
    case = service.visible_case(db, actor, number)
    return [ActionOut.model_validate(action) for action in service.history(db, case)]


@router.post("/{number}/transitions", response_model=CaseOut)
def post_transition(number: str, body: TransitionIn, db: DbSession, actor: CurrentActor) -> CaseOut:
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
    return CaseOut.model_validate(moved)
