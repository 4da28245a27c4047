"""HTTP routes of disputes: thin translations of the service's verbs."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.cases import naming
from civicgrid.disputes import service, triage
from civicgrid.disputes.models import Dispute
from civicgrid.disputes.schemas import (
    AgreementIn,
    AssignIn,
    DisputeIn,
    DisputeOut,
    EventOut,
    FactorOut,
    FollowUpIn,
    FollowUpOut,
    MediatorIn,
    MediatorOut,
    SessionIn,
    SessionOut,
    TransitionIn,
    TriageOut,
    WeightsIn,
    WeightsOut,
)
from civicgrid.disputes.states import Status
from civicgrid.disputes.workflow import Change
from civicgrid.registry.sealing import cipher_for
from civicgrid.settings import Settings
from civicgrid.timeutil import utcnow

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

router = APIRouter(prefix="/api/v1/disputes", tags=["disputes"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def dispute_out(db: Session, settings: Settings, dispute: Dispute) -> DisputeOut:
    cipher = cipher_for(settings)
    return DisputeOut(
        number=dispute.number,
        status=dispute.status,
        source=dispute.source,
        kind=dispute.kind,
        case_number=dispute.case_number,
        referred_by=dispute.referred_by,
        region_code=dispute.region_code,
        region_name=naming.place_name(db, dispute.region_code)
        or naming.region_name(db, dispute.region_code),
        amount=dispute.amount,
        people_involved=dispute.people_involved,
        description=dispute.description,
        mediator=service.mediator_name(db, dispute),
        mediator_name=service.mediator_display_name(db, dispute),
        assignment_reason=dispute.assignment_reason,
        referral_target=dispute.referral_target,
        agreement_terms=dispute.agreement_terms,
        performance_method=dispute.performance_method,
        performance_deadline=dispute.performance_deadline,
        has_agreement_document=dispute.agreement_file is not None,
        parties=[service.masked_party(cipher, party) for party in service.parties_of(db, dispute)],
        created_at=dispute.created_at,
        closed_at=dispute.closed_at,
    )


def _reply(db: Session, request: Request, dispute: Dispute) -> DisputeOut:
    db.commit()
    return dispute_out(db, _settings(request), dispute)


@router.post("", response_model=DisputeOut, status_code=status.HTTP_201_CREATED)
def post_dispute(
    body: DisputeIn, request: Request, db: DbSession, actor: CurrentActor
) -> DisputeOut:
    """Register a dispute from a case, a walk-in, a grid worker or a referral."""
    dispute = service.create_dispute(
        db, actor, settings=_settings(request), data=body, now=utcnow()
    )
    return _reply(db, request, dispute)


@router.get("", response_model=list[DisputeOut])
def get_disputes(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    status_filter: Annotated[Status | None, Query(alias="status")] = None,
    mine: bool = False,
) -> list[DisputeOut]:
    disputes = service.list_disputes(db, actor, status=status_filter, mine=mine)
    return [dispute_out(db, _settings(request), dispute) for dispute in disputes]


@router.get("/mediators", response_model=list[MediatorOut])
def get_mediators(db: DbSession, actor: CurrentActor) -> list[MediatorOut]:
    return [MediatorOut(**row) for row in service.list_mediators(db, actor)]


@router.put("/mediators", response_model=MediatorOut)
def put_mediator(body: MediatorIn, db: DbSession, actor: CurrentActor) -> MediatorOut:
    service.save_mediator(
        db,
        actor,
        username=body.username,
        kinds=[kind.value for kind in body.kinds],
        active=body.active,
    )
    db.commit()
    return next(
        MediatorOut(**row)
        for row in service.list_mediators(db, actor)
        if row["username"] == body.username
    )


@router.get("/triage/weights", response_model=WeightsOut)
def get_weights(db: DbSession, actor: CurrentActor) -> WeightsOut:
    return _weights_out(triage.read_settings(db, actor))


@router.put("/triage/weights", response_model=WeightsOut)
def put_weights(body: WeightsIn, db: DbSession, actor: CurrentActor) -> WeightsOut:
    """Change weights or the threshold; a factor outside the closed set is refused (422)."""
    changes = dict(body.weights)
    if body.alert_threshold is not None:
        changes[triage.THRESHOLD] = body.alert_threshold
    current = triage.set_settings(db, actor, changes)
    db.commit()
    return _weights_out(current)


def _weights_out(current: dict[str, float]) -> WeightsOut:
    weights = {name: current[name] for name in triage.FACTORS}
    return WeightsOut(weights=weights, alert_threshold=current[triage.THRESHOLD])


@router.get("/{number}", response_model=DisputeOut)
def get_dispute(number: str, request: Request, db: DbSession, actor: CurrentActor) -> DisputeOut:
    return dispute_out(db, _settings(request), service.visible_dispute(db, actor, number))


@router.post("/{number}/assign", response_model=DisputeOut)
def post_assign(
    number: str, body: AssignIn, request: Request, db: DbSession, actor: CurrentActor
) -> DisputeOut:
    dispute = service.assign(
        db, actor, number=number, mediator=body.mediator, note=body.note, now=utcnow()
    )
    return _reply(db, request, dispute)


@router.post("/{number}/sessions", response_model=SessionOut, status_code=status.HTTP_201_CREATED)
def post_session(number: str, body: SessionIn, db: DbSession, actor: CurrentActor) -> SessionOut:
    session = service.record_session(db, actor, number=number, data=body, now=utcnow())
    db.commit()
    return SessionOut.model_validate(session)


@router.get("/{number}/sessions", response_model=list[SessionOut])
def get_sessions(number: str, db: DbSession, actor: CurrentActor) -> list[SessionOut]:
    dispute = service.visible_dispute(db, actor, number)
    return [SessionOut.model_validate(row) for row in service.sessions_of(db, dispute)]


@router.post("/{number}/agreement", response_model=DisputeOut)
def post_agreement(
    number: str, body: AgreementIn, request: Request, db: DbSession, actor: CurrentActor
) -> DisputeOut:
    """Record the agreed terms; the agreement document is produced at once."""
    dispute = service.agree(
        db, actor, settings=_settings(request), number=number, data=body, now=utcnow()
    )
    return _reply(db, request, dispute)


@router.get("/{number}/agreement.docx", response_class=FileResponse)
def get_agreement(
    number: str, request: Request, db: DbSession, actor: CurrentActor
) -> FileResponse:
    path = service.agreement_file(db, actor, settings=_settings(request), number=number)
    return FileResponse(path, media_type=DOCX, filename=path.name)


@router.post("/{number}/transitions", response_model=DisputeOut)
def post_transition(
    number: str, body: TransitionIn, request: Request, db: DbSession, actor: CurrentActor
) -> DisputeOut:
    """Failure, referral, judicial confirmation and closing go through the one door."""
    change = Change(to=body.to, note=body.note, referral_target=body.referral_target)
    dispute = service.move(db, actor, number=number, change=change, now=utcnow())
    return _reply(db, request, dispute)


@router.post(
    "/{number}/follow-ups", response_model=FollowUpOut, status_code=status.HTTP_201_CREATED
)
def post_follow_up(
    number: str, body: FollowUpIn, db: DbSession, actor: CurrentActor
) -> FollowUpOut:
    visit = service.add_follow_up(db, actor, number=number, data=body, now=utcnow())
    db.commit()
    return FollowUpOut.model_validate(visit)


@router.get("/{number}/follow-ups", response_model=list[FollowUpOut])
def get_follow_ups(number: str, db: DbSession, actor: CurrentActor) -> list[FollowUpOut]:
    dispute = service.visible_dispute(db, actor, number)
    return [FollowUpOut.model_validate(row) for row in service.follow_ups_of(db, dispute)]


@router.get("/{number}/history", response_model=list[EventOut])
def get_history(number: str, db: DbSession, actor: CurrentActor) -> list[EventOut]:
    dispute = service.visible_dispute(db, actor, number)
    events = service.history(db, dispute)
    names = naming.actor_names(db, (event.actor for event in events))
    return [
        EventOut.model_validate(event).model_copy(update={"actor_name": names.get(event.actor)})
        for event in events
    ]


@router.get("/{number}/triage", response_model=TriageOut)
def get_triage(number: str, db: DbSession, actor: CurrentActor) -> TriageOut:
    """The score with every factor's value, weight and contribution, for a person to judge."""
    dispute = service.visible_dispute(db, actor, number)
    assessed = triage.assess(db, dispute, utcnow())
    return TriageOut(
        score=assessed.score,
        threshold=assessed.threshold,
        alert=assessed.alert,
        alerted_at=dispute.alerted_at,
        factors=[
            FactorOut(
                name=factor.name,
                value=factor.value,
                weight=factor.weight,
                contribution=factor.contribution,
                evidence=list(factor.evidence),
            )
            for factor in assessed.factors
        ],
    )
