"""SOS press to the command centre's screen with 500 open live streams: the one poller
(`cases.live.LiveHub`) against the old per-stream polling, in the same run.

Every stream is the server's own generator (`cases.live.case_events`, what
`GET /api/v1/live/cases` streams) for a dispatcher of the press's district,
all in one event loop as in one server process. A grid worker presses SOS
(`alarms.sos.press_from_worker`: case intake, the call, its alerts, committed)
`--presses` times; the latency of a press is from just before the call to the
moment a stream's generator yields the `event: sos` text, taken for every stream.
The old way is replayed as it was (each stream asking the database for new cases
every 2 s); its latency is to the case's `event: case`. Database queries are
counted for both.

    .venv/bin/python bench/sos.py [--streams 500] [--presses 20] [--pg-url URL]

Without `--pg-url` the database is a SQLite file in a temporary folder. Figures go to
stdout as markdown. The HTTP layer (uvicorn, the socket) is not in the path measured.
"""

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from civicgrid.alarms import sos  # noqa: E402
from civicgrid.auth import service as auth_service  # noqa: E402
from civicgrid.auth.models import Role  # noqa: E402
from civicgrid.auth.scope import Actor  # noqa: E402
from civicgrid.cases import live  # noqa: E402
from civicgrid.db import create_db_engine, make_session_factory, upgrade_database  # noqa: E402
from civicgrid.geo.service import GridIndex  # noqa: E402
from civicgrid.timeutil import utcnow  # noqa: E402
from tests.factories import OWN_DISTRICT, OWN_GRID, PASSWORD, build_city  # noqa: E402

OLD_POLL_SECONDS = 2.0


class Counter:
    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, *_: object) -> None:
        self.queries += 1


def setup(url: str) -> tuple[sessionmaker[Session], Counter, Actor, tuple[float, float]]:
    engine = create_db_engine(url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    with sessions() as db:
        city = build_city(db)
        user = auth_service.create_user(
            db,
            username="bench.worker",
            password=PASSWORD,
            role=Role.GRID_WORKER,
            scope_code=OWN_GRID,
        )
        db.commit()
        presser = auth_service.actor_for_user(user)
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    return sessions, counter, presser, city.point_in(OWN_GRID)


def dispatcher(number: int) -> Actor:
    return Actor(
        kind="user",
        role=Role.DISPATCHER,
        scope_code=OWN_DISTRICT,
        user_id=None,
        username=f"d{number}",
    )


async def old_stream(
    sessions: sessionmaker[Session], actor: Actor, seen: Callable[[str], None], stop: asyncio.Event
) -> None:
    """The live stream as it was: its own query for new cases every 2 s."""
    last = await run_in_threadpool(_newest, sessions, actor)
    while not stop.is_set():
        found = await run_in_threadpool(_after, sessions, actor, last)
        for text, case_id in found:
            seen(text)
            last = case_id
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), OLD_POLL_SECONDS)


def _newest(sessions: sessionmaker[Session], actor: Actor) -> int:
    with sessions() as db:
        return live.newest_id(db, actor)


def _after(sessions: sessionmaker[Session], actor: Actor, last: int) -> list[tuple[str, int]]:
    with sessions() as db:
        return [(live.event_text(case), case.id) for case in live.cases_after(db, actor, last)]


async def run(
    sessions: sessionmaker[Session],
    counter: Counter,
    presser: Actor,
    point: tuple[float, float],
    *,
    streams: int,
    presses: int,
    old: bool,
) -> dict:
    stop = asyncio.Event()
    pressed_at: dict[str, float] = {}
    committed_at: dict[str, float] = {}
    latencies: list[float] = []
    deliveries: list[float] = []
    marker = "event: case" if old else "event: sos"

    def seen(text: str) -> None:
        if marker not in text:
            return
        for key, started in pressed_at.items():
            if key in text:
                now = time.perf_counter()
                latencies.append(now - started)
                deliveries.append(now - committed_at.get(key, now))

    async def stopped() -> bool:
        return stop.is_set()

    hub = live.LiveHub(sessions)
    tasks = []
    for number in range(streams):
        if old:
            tasks.append(asyncio.create_task(old_stream(sessions, dispatcher(number), seen, stop)))
        else:

            async def follow(actor: Actor) -> None:
                async for text in live.case_events(sessions, actor, None, stopped, hub=hub):
                    seen(text)

            tasks.append(asyncio.create_task(follow(dispatcher(number))))
    await asyncio.sleep(2.5)
    counter.queries = 0
    started_all = time.perf_counter()
    for number in range(presses):
        place = f"bench-{'old' if old else 'hub'}-{number:04d}"
        pressed_at[place] = time.perf_counter()
        await run_in_threadpool(
            _press, sessions, presser, point, place, hub=hub, committed_at=committed_at
        )
        await asyncio.sleep(1.0)
    await asyncio.sleep(OLD_POLL_SECONDS + 1.0)
    seconds = time.perf_counter() - started_all
    stop.set()
    await asyncio.gather(*tasks)
    ordered = sorted(latencies)
    delivered = sorted(deliveries)
    return {
        "delivery_p99": delivered[int(0.99 * (len(delivered) - 1))],
        "events": len(latencies),
        "expected": streams * presses,
        "p50": statistics.median(ordered),
        "p99": ordered[int(0.99 * (len(ordered) - 1))],
        "max": ordered[-1],
        "queries_per_s": counter.queries / seconds,
    }


def _press(
    sessions: sessionmaker[Session],
    presser: Actor,
    point: tuple[float, float],
    place: str,
    *,
    hub: live.LiveHub,
    committed_at: dict[str, float],
) -> None:
    """One press as the route makes it: intake, the call and its alerts, commit, then wake."""
    with sessions() as db:
        where = sos.Press(lng=point[0], lat=point[1], place=place)
        sos.press_from_worker(db, GridIndex(), presser, key=place, press=where, now=utcnow())
        db.commit()
    committed_at[place] = time.perf_counter()
    hub.wake()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--no-old", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.pg_url or f"sqlite:///{folder}/bench-sos.db"
        sessions, counter, presser, point = setup(url)
        rows = [
            (
                "one poller (LiveHub, 200 ms tick + wake)",
                asyncio.run(
                    run(
                        sessions,
                        counter,
                        presser,
                        point,
                        streams=args.streams,
                        presses=args.presses,
                        old=False,
                    )
                ),
            )
        ]
        if not args.no_old:
            rows.append(
                (
                    "old per-stream polling (2 s)",
                    asyncio.run(
                        run(
                            sessions,
                            counter,
                            presser,
                            point,
                            streams=args.streams,
                            presses=args.presses,
                            old=True,
                        )
                    ),
                )
            )
    engine = "PostgreSQL" if args.pg_url else "SQLite"
    print(f"{args.streams} open streams, {args.presses} presses, {engine}\n")
    print(
        "| live stream | events received / expected | p50 s | p99 s | max s "
        "| p99 s from commit | queries/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, result in rows:
        print(
            f"| {name} | {result['events']} / {result['expected']} | {result['p50']:.3f} | "
            f"{result['p99']:.3f} | {result['max']:.3f} | {result['delivery_p99']:.3f} | "
            f"{result['queries_per_s']:.1f} |"
        )


if __name__ == "__main__":
    main()
