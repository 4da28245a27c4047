"""New cases pushed to the command centre as they arrive (Server-Sent Events).

Each open stream asks the database every couple of seconds for cases newer
than the last one it sent, through the same reading rule (`cases.access`) as
every other case query; a browser that reconnects sends Last-Event-ID and misses
nothing. A few screens per centre make this cheap; a push bus (LISTEN/NOTIFY,
MQTT) would replace the polling past that.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from civicgrid.auth.deps import CurrentActor
from civicgrid.auth.scope import Actor
from civicgrid.cases.access import readable
from civicgrid.cases.models import Case
from civicgrid.db import MAX_SQL_INTEGER

POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 15.0
BATCH = 50

router = APIRouter(prefix="/api/v1/live", tags=["live"])


def newest_id(db: Session, actor: Actor) -> int:
    return db.scalar(select(func.max(Case.id)).where(readable(actor))) or 0


def cases_after(db: Session, actor: Actor, after_id: int) -> list[Case]:
    return list(
        db.scalars(
            select(Case).where(Case.id > after_id, readable(actor)).order_by(Case.id).limit(BATCH)
        )
    )


def event_text(case: Case) -> str:
    data = {
        "number": case.number,
        "status": case.status,
        "channel": case.channel,
        "priority": case.priority,
        "description": case.description[:200],
        "category_code": case.category_code,
        "lng": case.lng,
        "lat": case.lat,
        "region_code": case.region_code,
        "created_at": case.created_at.isoformat(),
    }
    return f"id: {case.id}\nevent: case\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def case_events(
    sessions: sessionmaker[Session],
    actor: Actor,
    after_id: int | None,
    disconnected: Callable[[], Awaitable[bool]],
    *,
    poll_seconds: float = POLL_SECONDS,
) -> AsyncIterator[str]:
    """The stream's text: new cases as events, a comment now and then to keep proxies open."""
    last = after_id if after_id is not None else await run_in_threadpool(_read, sessions, actor)
    quiet = 0.0
    yield "retry: 3000\n\n"
    while not await disconnected():
        found = await run_in_threadpool(_read_after, sessions, actor, last)
        for text, case_id in found:
            yield text
            last = case_id
        quiet = 0.0 if found else quiet + poll_seconds
        if quiet >= HEARTBEAT_SECONDS:
            quiet = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(poll_seconds)


def _read(sessions: sessionmaker[Session], actor: Actor) -> int:
    with sessions() as db:
        return newest_id(db, actor)


def _read_after(sessions: sessionmaker[Session], actor: Actor, last: int) -> list[tuple[str, int]]:
    with sessions() as db:
        return [(event_text(case), case.id) for case in cases_after(db, actor, last)]


@router.get("/cases", response_class=StreamingResponse)
async def get_case_stream(
    request: Request,
    actor: CurrentActor,
    last_event_id: Annotated[
        int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_SQL_INTEGER)
    ] = None,
) -> StreamingResponse:
    """New cases in the reader's jurisdiction as they are reported (text/event-stream).

    Last-Event-ID is the id of the last case this browser was sent.
    """
    stream = case_events(request.app.state.sessions, actor, last_event_id, request.is_disconnected)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
