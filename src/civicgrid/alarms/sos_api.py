"""HTTP routes of one-click SOS: a grid worker's press, the open calls, acknowledging one.

A key place's button posts its press as an `sos` alarm (`POST /api/v1/alarms`).
"""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response, status

from civicgrid.alarms import sos
from civicgrid.alarms.schemas import SosOut, SosPressIn
from civicgrid.auth.deps import CurrentActor, DbSession
from civicgrid.cases.live import hub_of
from civicgrid.db import MAX_SQL_INTEGER
from civicgrid.timeutil import utcnow

router = APIRouter(prefix="/api/v1/sos", tags=["alarms"])


@router.post("", response_model=SosOut, status_code=status.HTTP_201_CREATED)
def post_sos(
    body: SosPressIn,
    request: Request,
    response: Response,
    db: DbSession,
    actor: CurrentActor,
    *,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> SosOut:
    """A grid worker's SOS, stored once per Idempotency-Key (the phone's outbox sends it again
    until it has an answer); a replay answers 200 with the first call."""
    pressed = sos.press_from_worker(
        db,
        request.app.state.grid_index,
        actor,
        key=idempotency_key,
        press=body.press(),
        now=utcnow(),
    )
    db.commit()
    if pressed.new:
        hub_of(request).wake()
    else:
        response.status_code = status.HTTP_200_OK
    return SosOut.of(pressed.call, new=pressed.new)


@router.get("", response_model=list[SosOut])
def get_open_sos(db: DbSession, actor: CurrentActor) -> list[SosOut]:
    """The area's SOS calls nobody has acknowledged, newest first (the banner's start)."""
    return [SosOut.of(call) for call in sos.open_calls(db, actor)]


@router.post("/{sos_id}/acknowledge", response_model=SosOut)
def post_acknowledge(
    sos_id: Annotated[int, Path(ge=1, le=MAX_SQL_INTEGER)],
    request: Request,
    db: DbSession,
    actor: CurrentActor,
) -> SosOut:
    """Someone answers the call: the escalation clock stops."""
    call = sos.acknowledge(db, actor, sos_id, now=utcnow())
    db.commit()
    hub_of(request).wake()
    return SosOut.of(call)
