"""A year of demo cases that every part of the case loop can be shown on.

Each case is reported through `cases.service.report_case` and moved through
`workflow.transition` by the actor whose job that step is, at the moment its
story says; so its history is a real hash-chained one, and the SLA clocks,
routing and indicators see what they would see in production. Nothing here
writes a status. Actors are built in code with the demo accounts' scopes, one
per grid, district and department, instead of thousands of stored users.
"""

import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import ANONYMOUS, Actor
from civicgrid.cases import feedback
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.cases.states import Status, stage_of
from civicgrid.cases.workflow import Change, transition
from civicgrid.demo.stories import Story, draw_story, report_times
from civicgrid.demo.world import Unit, World, load_world, material, message_pools
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import as_utc

# What each stage would take when a case has no deadline to measure against.
FALLBACK_STAGE_HOURS = {
    "accept": 2.0,
    "dispatch": 4.0,
    "claim": 8.0,
    "resolve": 72.0,
    "verify": 24.0,
    "close": 24.0,
    "rate": 48.0,  # a closed case has no clock; residents rate within a couple of days
}


@dataclass(frozen=True)
class Step:
    """One change by one actor; a rating carries the steps that follow if it reopens the case."""

    to: Status
    actor: Actor
    note: str = ""
    department_id: int | None = None
    approve: bool | None = None
    rating: int | None = None
    rework: tuple["Step", ...] = ()


@dataclass
class GenerationReport:
    cases: int = 0
    actions: int = 0
    seconds: float = 0.0
    by_status: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)


def generate_cases(
    db: Session,
    index: GridIndex,
    *,
    count: int,
    seed: int,
    start: datetime,
    end: datetime,
    messages_path: Path | None = None,
    skip: int = 0,
    checkpoint: Callable[[int], None] | None = None,
) -> GenerationReport:
    """Report and work cases `skip + 1` to `count` between `start` and `end` in the stored
    demo city.

    The same seed on the same city gives the same cases, and case n is the same whether
    the run began at 1 or resumed after `skip`: the moments are drawn for the whole year
    first, and each case's story from its own generator. Cases whose next step would fall
    after `end` stay where they are: the newest ones are still open.

    Intake commits each report itself; the case's steps commit after it, together with
    what `checkpoint` writes (the fill's progress, told the case's number). A run stopped
    between the two finds, when it resumes, the report again by its idempotency key (the
    intake door returns the stored case instead of a second one) and walks its steps.
    """
    began = time.perf_counter()
    world = load_world(db)
    if messages_path is not None:
        world.messages = message_pools(messages_path, world)
    report = GenerationReport()
    moments = report_times(random.Random(seed), count, as_utc(start), as_utc(end))
    for number, at in enumerate(moments, start=1):
        if number <= skip:
            continue
        rng = random.Random(case_seed(seed, number))
        story = draw_story(rng, world, at)
        case = _report(db, world, story, index, key=f"demo:{seed}:{number}")
        steps = list(script(rng, world, story, case))
        if case.status == Status.REPORTED.value:
            report.actions += play(db, rng, case, steps, story, until=as_utc(end))
        report.actions += 1
        report.cases += 1
        report.by_status[case.status] += 1
        report.by_channel[story.channel] += 1
        if checkpoint is not None:
            checkpoint(number)
        db.commit()
    report.seconds = time.perf_counter() - began
    return report


def case_seed(seed: int, number: int) -> int:
    """Case `number`'s own generator seed: the run's seed and the number packed together."""
    return (seed << 32) | number


def _report(db: Session, world: World, story: Story, index: GridIndex, *, key: str) -> Case:
    intake = Intake(
        description=story.description,
        channel=story.channel,
        lng=story.lng,
        lat=story.lat,
        category_code=story.category,
        reporter_phone=story.phone,
    )
    actor = _reporter(world, story)
    case, _ = report_case(db, index, intake=intake, actor=actor, idempotency_key=key, now=story.at)
    return case


def _reporter(world: World, story: Story) -> Actor:
    """Who files each channel: the 12345 and 110 centres, the grid worker, a resident, a key."""
    channel = story.channel
    if channel == "grid_worker":
        return _worker(world, story.place.grid)
    if channel == "resident":
        return _user(world, "resident", Role.RESIDENT, world.city.code)
    if channel in {"open311", "device"} and world.api_key_id is not None:
        return Actor(
            kind="api_key", role=None, scope_code=world.city.code, api_key_id=world.api_key_id
        )
    if channel in {"inspection", "petition"}:
        return _dispatcher(world, story.place.district)
    return _user(world, "dispatcher.city", Role.DISPATCHER, world.city.code)


def _user(
    world: World, username: str, role: Role, scope: str, department_id: int | None = None
) -> Actor:
    return Actor(
        kind="user",
        role=role,
        scope_code=scope,
        user_id=world.user_ids.get(username),
        username=username,
        department_id=department_id,
    )


def _worker(world: World, grid: str) -> Actor:
    return _user(world, f"worker.{grid}", Role.GRID_WORKER, grid)


def _dispatcher(world: World, district: str) -> Actor:
    return _user(world, f"dispatcher.{district}", Role.DISPATCHER, district)


def _handler(world: World, unit: Unit) -> Actor:
    return _user(world, f"handler.{unit.code}", Role.DEPARTMENT_HANDLER, unit.region_code, unit.id)


def _unit_for(world: World, kind: str, district: str, avoid: int | None = None) -> Unit:
    """The district's department of a kind, else the city's, else any other department near."""
    for region in (district, world.city.code):
        unit = world.units.get((region, kind))
        if unit is not None and unit.id != avoid:
            return unit
    nearby = [unit for unit in world.units.values() if unit.id != avoid]
    return min(nearby, key=lambda unit: (unit.region_code != district, unit.id))


def _routed_unit(world: World, case: Case, story: Story) -> Unit:
    """Where routing sent the case, when it named a department; else the theme's department."""
    routed = case.routed_department_id
    for unit in world.units.values():
        if unit.id == routed:
            return unit
    return _unit_for(world, story.theme.kind, story.place.district)


def script(rng: random.Random, world: World, story: Story, case: Case) -> Iterator[Step]:
    """The steps of the story, each by the actor whose job it is."""
    notes = material().notes
    centre = _dispatcher(world, story.place.district)
    field_actor = _worker(world, story.place.grid)
    if story.ending == Status.REJECTED.value:
        yield Step(Status.REJECTED, centre, rng.choice(notes["reject"]))
        return
    if story.ending == Status.SELF_RESOLVED.value:
        yield Step(Status.SELF_RESOLVED, field_actor, rng.choice(notes["self_resolve"]))
        yield Step(Status.CLOSED, centre)
        return
    unit = _routed_unit(world, case, story)
    yield Step(Status.ACCEPTED, centre)
    yield Step(Status.DISPATCHED, centre, department_id=unit.id)
    if story.returned:
        yield Step(Status.RETURNED, _handler(world, unit), rng.choice(notes["return"]))
        unit = _unit_for(world, _other_kind(rng, unit.kind), story.place.district, avoid=unit.id)
        yield Step(Status.DISPATCHED, centre, department_id=unit.id)
    yield from _handling(rng, world, story, unit, centre)
    yield Step(Status.VERIFIED, field_actor)
    yield Step(Status.CLOSED, centre)
    if story.rating is not None:
        # An unsatisfied rating soon after closing reopens the case (feedback's rule).
        handler = _handler(world, unit)
        rework = (
            Step(Status.CLAIMED, handler),
            Step(Status.RESOLVED, handler, rng.choice(story.theme.resolutions)),
            Step(Status.VERIFIED, field_actor),
            Step(Status.CLOSED, centre),
        )
        yield Step(Status.RATED, ANONYMOUS, rating=story.rating, rework=rework)


def _handling(
    rng: random.Random, world: World, story: Story, unit: Unit, centre: Actor
) -> Iterator[Step]:
    notes = material().notes
    handler = _handler(world, unit)
    yield Step(Status.CLAIMED, handler)
    if story.extended:
        yield Step(Status.EXTENSION_REQUESTED, handler, rng.choice(notes["extension"]))
        yield Step(Status.CLAIMED, centre, approve=True)
    yield Step(Status.RESOLVED, handler, rng.choice(story.theme.resolutions))
    if story.reopened:
        yield Step(Status.REOPENED, _worker(world, story.place.grid), rng.choice(notes["reopen"]))
        yield Step(Status.CLAIMED, handler)
        yield Step(Status.RESOLVED, handler, rng.choice(story.theme.resolutions))


def _other_kind(rng: random.Random, kind: str) -> str:
    return rng.choice([theme.kind for theme in material().themes if theme.kind != kind])


def play(
    db: Session,
    rng: random.Random,
    case: Case,
    steps: Sequence[Step],
    story: Story,
    *,
    until: datetime,
) -> int:
    """Take the steps in turn, each when its stage's clock says; stop at `until`.

    A rating goes through `feedback.rate` as the caller with the phone they
    reported from; when it reopens the case, the rework steps come next.
    """
    moment = story.at
    taken = 0
    pending = deque(steps)
    while pending:
        step = pending.popleft()
        moment = _next_moment(rng, case, moment, late=case.stage == story.late_stage)
        if moment >= until:
            break
        if step.rating is not None:
            outcome = feedback.rate(
                db,
                number=case.number,
                rating=step.rating,
                phone=story.phone,
                actor=step.actor,
                now=moment,
            )
            taken += 1 + int(outcome.reopened)
            if outcome.reopened:
                pending.extendleft(reversed(step.rework))
            continue
        change = Change(
            to=step.to, note=step.note, approve=step.approve, department_id=step.department_id
        )
        case = transition(db, case_id=case.id, change=change, actor=step.actor, now=moment)
        taken += 1
    return taken


def _next_moment(rng: random.Random, case: Case, previous: datetime, *, late: bool) -> datetime:
    """Somewhere inside the running stage's time limit, or past it for a late stage."""
    due = as_utc(case.stage_due_at) if case.stage_due_at is not None else None
    if due is None:
        stage = case.stage or stage_of(case.status) or "rate"
        window = timedelta(hours=FALLBACK_STAGE_HOURS[stage])
        due = previous + window
    window = max(due - previous, timedelta(minutes=10))
    if late:
        return due + timedelta(hours=rng.uniform(1.0, 72.0))
    return previous + max(window * rng.uniform(0.05, 0.85), timedelta(minutes=2))
