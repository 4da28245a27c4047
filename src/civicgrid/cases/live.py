"""New cases (and other feeds, such as SOS calls) pushed to the command centre (Server-Sent Events).

One poller per server process (`LiveHub`) asks the database every TICK_SECONDS
(or at once, when intake in this process wakes it) for what is new, and hands
each new row to every open stream of the process; each stream keeps what its
reader may read (`cases.access.reads_in_memory`, the in-memory twin of
`readable`). Five hundred open screens therefore cost one query a tick, not
five hundred. A department handler's rule needs the database: their stream asks
it, only in a tick that brought new cases.

A browser that reconnects sends Last-Event-ID (a case id): its stream first
replays from the database what it missed, through `readable`, then joins the hub.
Events of other feeds carry no id, so Last-Event-ID stays a case id.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from civicgrid.auth.deps import CurrentActor
from civicgrid.auth.scope import Actor
from civicgrid.cases.access import readable, reads_in_memory
from civicgrid.cases.models import Case
from civicgrid.db import MAX_SQL_INTEGER

log = logging.getLogger(__name__)
TICK_SECONDS = 0.2
HEARTBEAT_SECONDS = 15.0
BATCH = 50
HUB_BATCH = 500

router = APIRouter(prefix="/api/v1/live", tags=["live"])


@dataclass(frozen=True)
class Item:
    """One new row of a feed as the hub read it, ready to send, with what readers are told by."""

    feed: str
    row_id: int
    region_code: str
    text: str
    reporter_user_id: int | None = None


class Feed(Protocol):
    """A source of live events besides cases (the SOS calls of `alarms.sos`)."""

    name: str

    def newest(self, db: Session) -> int: ...

    def after(self, db: Session, last: int, limit: int) -> list[Item]: ...

    def reads(self, actor: Actor, item: Item) -> bool: ...


_FEEDS: dict[str, Feed] = {}


def add_feed(feed: Feed) -> None:
    """A domain adds its events to every live stream (read by the same one poller)."""
    _FEEDS[feed.name] = feed


def newest_id(db: Session, actor: Actor) -> int:
    return db.scalar(select(func.max(Case.id)).where(readable(actor))) or 0


def cases_after(db: Session, actor: Actor, after_id: int, up_to: int | None = None) -> list[Case]:
    query = select(Case).where(Case.id > after_id, readable(actor))
    if up_to is not None:
        query = query.where(Case.id <= up_to)
    return list(db.scalars(query.order_by(Case.id).limit(BATCH)))


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


def _case_item(case: Case) -> Item:
    return Item("case", case.id, case.region_code, event_text(case), case.reporter_user_id)


@dataclass(eq=False)
class Subscriber:
    """One open stream: the hub puts each tick's new items on its queue."""

    actor: Actor
    queue: asyncio.Queue[list[Item]] = field(default_factory=asyncio.Queue)


class LiveHub:
    """The process's one poller; started by the first stream, stopped when the last one closes."""

    def __init__(self, sessions: sessionmaker[Session], *, tick: float = TICK_SECONDS) -> None:
        self.sessions = sessions
        self.tick = tick
        self.subscribers: set[Subscriber] = set()
        self.position = 0
        self._last: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._ready = asyncio.Event()

    async def join(self, actor: Actor) -> Subscriber:
        """A new stream; returns once the hub knows the newest case (`position`)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._wake, self._ready = asyncio.Event(), asyncio.Event()
            self._task = loop.create_task(self._run())
        subscriber = Subscriber(actor)
        self.subscribers.add(subscriber)
        await self._ready.wait()
        return subscriber

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers and self._task is not None:
            self._task.cancel()
            self._task = None

    def wake(self) -> None:
        """Read now rather than at the next tick (callable from any thread, e.g. a sync route)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        self._last = await run_in_threadpool(self._newest)
        self.position = self._last["case"]
        self._ready.set()
        while self.subscribers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick)
            self._wake.clear()
            try:
                items = await run_in_threadpool(self._read)
            except Exception:  # a failed read is retried next tick; the streams stay open
                log.exception("live hub read failed")
                continue
            if items:
                for subscriber in self.subscribers:
                    subscriber.queue.put_nowait(items)

    def _newest(self) -> dict[str, int]:
        with self.sessions() as db:
            last = {"case": db.scalar(select(func.max(Case.id))) or 0}
            last.update({name: feed.newest(db) for name, feed in _FEEDS.items()})
            return last

    def _read(self) -> list[Item]:
        with self.sessions() as db:
            query = select(Case).where(Case.id > self._last["case"]).order_by(Case.id)
            items = [_case_item(case) for case in db.scalars(query.limit(HUB_BATCH))]
            if items:
                self._last["case"] = items[-1].row_id
                self.position = items[-1].row_id
            for name, feed in _FEEDS.items():
                found = feed.after(db, self._last.get(name, 0), HUB_BATCH)
                if found:
                    self._last[name] = found[-1].row_id
                items += found
            return items


async def case_events(
    sessions: sessionmaker[Session],
    actor: Actor,
    after_id: int | None,
    disconnected: Callable[[], Awaitable[bool]],
    *,
    hub: LiveHub | None = None,
    poll_seconds: float = TICK_SECONDS,
) -> AsyncIterator[str]:
    """The stream's text: missed cases replayed, then new events, a comment now and then."""
    hub = hub or LiveHub(sessions, tick=poll_seconds)
    subscriber = await hub.join(actor)
    try:
        yield "retry: 3000\n\n"
        last = hub.position if after_id is None else after_id
        while last < hub.position:
            missed = await run_in_threadpool(_read_after, sessions, actor, last, hub.position)
            for text, _case_id in missed:
                yield text
            last = missed[-1][1] if missed else hub.position
        quiet = 0.0
        wait = min(1.0, HEARTBEAT_SECONDS)
        while not await disconnected():
            try:
                items = await asyncio.wait_for(subscriber.queue.get(), wait)
            except TimeoutError:
                quiet += wait
                if quiet >= HEARTBEAT_SECONDS:
                    quiet = 0.0
                    yield ": keep-alive\n\n"
                continue
            texts, last = await _readable(sessions, actor, items, last)
            for text in texts:
                quiet = 0.0
                yield text
    finally:
        hub.leave(subscriber)


async def _readable(
    sessions: sessionmaker[Session], actor: Actor, items: Sequence[Item], last: int
) -> tuple[list[str], int]:
    """What of one tick this reader may read; the database decides only where memory cannot."""
    cases = [item for item in items if item.feed == "case" and item.row_id > last]
    undecided = [
        item.row_id
        for item in cases
        if reads_in_memory(
            actor, region_code=item.region_code, reporter_user_id=item.reporter_user_id
        )
        is None
    ]
    allowed = await run_in_threadpool(_allowed, sessions, actor, undecided) if undecided else set()
    texts = []
    for item in items:
        if item.feed == "case":
            if item.row_id <= last:
                continue
            rule = reads_in_memory(
                actor, region_code=item.region_code, reporter_user_id=item.reporter_user_id
            )
            last = item.row_id
            if rule or (rule is None and item.row_id in allowed):
                texts.append(item.text)
        elif _FEEDS[item.feed].reads(actor, item):
            texts.append(item.text)
    return texts, last


def _allowed(sessions: sessionmaker[Session], actor: Actor, ids: list[int]) -> set[int]:
    with sessions() as db:
        return set(db.scalars(select(Case.id).where(Case.id.in_(ids), readable(actor))))


def _read_after(
    sessions: sessionmaker[Session], actor: Actor, last: int, up_to: int
) -> list[tuple[str, int]]:
    with sessions() as db:
        return [(event_text(case), case.id) for case in cases_after(db, actor, last, up_to)]


def hub_of(request: Request) -> LiveHub:
    """The process's hub, made on first use and kept on the app."""
    state = request.app.state
    if getattr(state, "live_hub", None) is None:
        state.live_hub = LiveHub(state.sessions)
    hub: LiveHub = state.live_hub
    return hub


@router.get("/cases", response_class=StreamingResponse)
async def get_case_stream(
    request: Request,
    actor: CurrentActor,
    last_event_id: Annotated[
        int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_SQL_INTEGER)
    ] = None,
) -> StreamingResponse:
    """New cases in the reader's jurisdiction as they are reported (text/event-stream),
    and SOS calls (`event: sos`) for those who answer them.

    Last-Event-ID is the id of the last case this browser was sent.
    """
    stream = case_events(
        request.app.state.sessions,
        actor,
        last_event_id,
        request.is_disconnected,
        hub=hub_of(request),
    )
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
