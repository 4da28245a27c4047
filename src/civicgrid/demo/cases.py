"""A year of demo cases that every part of the case loop can be shown on.

Each case is reported through `cases.service.report_case` and moved through
`workflow.transition` by the actor whose job that step is, at the moment its
story says; so its history is a real hash-chained one, and the SLA clocks,
routing and indicators see what they would see in production. Nothing here
writes a status. Actors are built in code with the demo accounts' scopes, one
per grid, district and department, instead of thousands of stored users.
"""

import csv
import json
import random
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from itertools import accumulate
from pathlib import Path

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import ApiKey, Department, Role, User
from civicgrid.auth.scope import ANONYMOUS, Actor
from civicgrid.cases import feedback
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.cases.sla import STAGE_OF_STATUS
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.categories.taxonomy import list_categories
from civicgrid.divisions import Level
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex, grid_geometries
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

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
URBAN_GRID_WEIGHT = 3.0
COMMIT_EVERY = 500
SHARE_REJECTED = 0.02
SHARE_SELF_RESOLVED_BY_WORKERS = 0.42  # of grid workers' minor reports: ~10 % of all cases
SHARE_RETURNED = 0.06
SHARE_REOPENED = 0.05
SHARE_EXTENDED = 0.03
SHARE_FROM_MESSAGES = 0.8
SHARE_RATED = 0.35
# Channels where a resident left a phone number, so they can rate the outcome.
CALLER_CHANNELS = frozenset({"resident", "hotline_12345", "open311", "diversion_110", "petition"})
# Which stage, if any, runs past its deadline.
LATE_STAGES = {None: 85, "resolve": 8, "dispatch": 3, "claim": 2, "verify": 1, "close": 1}
MESSAGE_LENGTH = (20, 240)
SENTENCE_END = "。！？!?"
_OTHER_PLACE = re.compile(r"(?<![A-Za-z0-9])[B-Z]\d*[市区县]")
_DISTRICT = re.compile(r"A\d*[区县]|A\d+市")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Theme:
    """A kind of problem, named by the department kind that handles it."""

    kind: str
    weight: float
    self_resolvable: bool
    keywords: tuple[str, ...]
    reports: tuple[str, ...]
    resolutions: tuple[str, ...]


@dataclass(frozen=True)
class Material:
    themes: tuple[Theme, ...]
    channels: dict[str, float]
    hours: tuple[float, ...]
    weekdays: tuple[float, ...]
    notes: dict[str, tuple[str, ...]]
    category_reports: tuple[str, ...]
    ratings: tuple[float, ...]


@cache
def material() -> Material:
    text = resources.files(__package__).joinpath("case_templates.json").read_text("utf-8")
    data = json.loads(text)
    themes = tuple(
        Theme(
            kind=kind,
            weight=float(spec["weight"]),
            self_resolvable=bool(spec.get("self_resolvable", False)),
            keywords=tuple(spec["keywords"]),
            reports=tuple(spec["reports"]),
            resolutions=tuple(spec["resolutions"]),
        )
        for kind, spec in data["themes"].items()
    )
    return Material(
        themes=themes,
        channels={name: float(weight) for name, weight in data["channels"].items()},
        hours=tuple(map(float, data["hours"])),
        weekdays=tuple(map(float, data["weekdays"])),
        notes={name: tuple(lines) for name, lines in data["notes"].items()},
        category_reports=tuple(data["category_reports"]),
        ratings=tuple(map(float, data["ratings"])),
    )


@dataclass(frozen=True)
class Choice:
    """A seeded level-2 category a story may be filed under."""

    code: str
    name: str
    self_resolvable: bool
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    grid: str
    geometry: BaseGeometry
    name: str

    @property
    def district(self) -> str:
        return self.grid[:6]


@dataclass(frozen=True)
class Unit:
    """A department as the generator needs it: who acts for it, and where."""

    id: int
    code: str
    kind: str
    region_code: str


@dataclass
class World:
    """The demo city as stored: places, departments, categories and the names to write."""

    city: Region
    province_name: str
    district_names: dict[str, str]
    places: list[Place]
    cumulative_weights: list[float]
    units: dict[tuple[str, str], Unit]
    categories: dict[str, list[Choice]]
    user_ids: dict[str, int]
    api_key_id: int | None
    messages: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Story:
    """What will happen to one case, drawn before it is reported."""

    at: datetime
    channel: str
    place: Place
    lng: float
    lat: float
    theme: Theme
    category: str | None
    description: str
    ending: str
    returned: bool
    reopened: bool
    extended: bool
    late_stage: str | None
    phone: str | None
    rating: int | None


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
    progress: Callable[[int], None] | None = None,
) -> GenerationReport:
    """Report and work `count` cases between `start` and `end` in the stored demo city.

    The same seed on the same city gives the same cases. Cases whose next step
    would fall after `end` stay where they are: the newest ones are still open.
    `progress` hears the number of cases stored after each commit: a year of
    cases takes minutes, and the operator should see it moving.
    """
    began = time.perf_counter()
    rng = random.Random(seed)
    world = load_world(db)
    if messages_path is not None:
        world.messages = message_pools(messages_path, world)
    report = GenerationReport()
    for number, at in enumerate(report_times(rng, count, as_utc(start), as_utc(end)), start=1):
        story = draw_story(rng, world, at)
        case = _report(db, world, story, index)
        steps = list(script(rng, world, story, case))
        report.actions += 1 + play(db, rng, case, steps, story, until=as_utc(end))
        if number % COMMIT_EVERY == 0:
            db.commit()
            if progress is not None:
                progress(number)
        report.cases += 1
        report.by_status[case.status] += 1
        report.by_channel[story.channel] += 1
    db.commit()
    report.seconds = time.perf_counter() - began
    return report


# --- the world -----------------------------------------------------------------------------


def load_world(db: Session) -> World:
    """Everything the stories draw from, read once."""
    regions = {
        region.code: region
        for region in db.scalars(
            select(Region).where(Region.level.in_([Level.PROVINCE, Level.CITY, Level.DISTRICT]))
        )
    }
    city = next(region for region in regions.values() if region.level == Level.CITY.value)
    province = regions.get(city.parent_code or "")
    places = _places(db)
    return World(
        city=city,
        province_name=province.name if province else city.name,
        district_names={
            code: region.name
            for code, region in regions.items()
            if region.level == Level.DISTRICT.value
        },
        places=places,
        cumulative_weights=list(
            accumulate(URBAN_GRID_WEIGHT if _is_urban(place.grid) else 1.0 for place in places)
        ),
        units=_units(db),
        categories=_categories(db),
        user_ids=dict(db.execute(select(User.username, User.id)).all()),
        api_key_id=db.scalar(select(ApiKey.id).order_by(ApiKey.id).limit(1)),
    )


def _places(db: Session) -> list[Place]:
    communities = dict(
        db.execute(
            select(Region.code, Region.name).where(Region.level == Level.COMMUNITY.value)
        ).all()
    )
    return [
        Place(code, geometry, communities.get(code[:12], ""))
        for code, geometry in sorted(grid_geometries(db), key=lambda pair: pair[0])
    ]


def _is_urban(grid_code: str) -> bool:
    """Grids of a 街道 (township numbers 001-099) are the dense town; 镇 and 乡 are not."""
    return grid_code[6] == "0"


def _units(db: Session) -> dict[tuple[str, str], Unit]:
    return {
        (row.region_code, row.kind): Unit(row.id, row.code, row.kind, row.region_code)
        for row in db.scalars(select(Department).order_by(Department.id))
    }


def _categories(db: Session) -> dict[str, list[Choice]]:
    """Level-2 categories by the department kind that handles them."""
    by_kind: dict[str, list[Choice]] = {}
    for category in list_categories(db):
        if category.parent_code is None:
            continue
        defaults = category.default_departments or {}
        kind = defaults.get("district") or defaults.get("city")
        if kind:
            choice = Choice(
                category.code,
                category.name,
                category.self_resolvable,
                tuple(str(word) for word in category.keywords or ()),
            )
            by_kind.setdefault(str(kind), []).append(choice)
    return by_kind


def message_pools(path: Path, world: World) -> dict[str, list[str]]:
    """Real residents' words for each theme and category, with the anonymised places put back.

    A message joins the pool of every theme (by department kind) and every
    seeded category (by code) whose keywords it contains, so a story filed
    under a category is told in words that fit it.

    The source writes "A市A3区" for its city and districts and "西地省" for its
    province; they become the demo city's own names ({district} is filled per
    case). Messages about other anonymised cities are left out.
    """
    keywords = {theme.kind: theme.keywords for theme in material().themes}
    for choices in world.categories.values():
        keywords.update({choice.code: choice.keywords for choice in choices if choice.keywords})
    pools: dict[str, list[str]] = {name: [] for name in keywords}
    for text in _messages(path, world):
        for name, words in keywords.items():
            if any(word in text for word in words):
                pools[name].append(text)
    return pools


def _messages(path: Path, world: World) -> Iterator[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = _SPACE.sub("", row.get("留言详情") or "")
            if len(text) < MESSAGE_LENGTH[0] or _OTHER_PLACE.search(text.replace("A市", "")):
                continue
            text = text.replace("西地省", world.province_name).replace("A市", world.city.name)
            yield _trimmed(_DISTRICT.sub("{district}", text.replace("{", "").replace("}", "")))


def _trimmed(text: str) -> str:
    """At most the first sentences that fit, as an operator would summarise a long call."""
    limit = MESSAGE_LENGTH[1]
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in SENTENCE_END)
    return text[: cut + 1] if cut >= MESSAGE_LENGTH[0] else text[:limit] + "…"


# --- stories -------------------------------------------------------------------------------


def report_times(rng: random.Random, count: int, start: datetime, end: datetime) -> list[datetime]:
    """Report moments with the city's rhythm: weekday daytime peaks, quiet nights."""
    days = max(1, (end - start).days)
    first_day = start.astimezone(DISPLAY_ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    stuff = material()
    day_weights = list(
        accumulate(
            stuff.weekdays[(first_day + timedelta(days=offset)).weekday()]
            for offset in range(days + 1)
        )
    )
    hour_weights = list(accumulate(stuff.hours))
    moments: list[datetime] = []
    while len(moments) < count:
        day = rng.choices(range(days + 1), cum_weights=day_weights)[0]
        hour = rng.choices(range(24), cum_weights=hour_weights)[0]
        moment = first_day + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
        if start <= moment < end:
            moments.append(as_utc(moment))
    return sorted(moments)


def draw_story(rng: random.Random, world: World, at: datetime) -> Story:
    stuff = material()
    channel = rng.choices(list(stuff.channels), list(stuff.channels.values()))[0]
    place = rng.choices(world.places, cum_weights=world.cumulative_weights)[0]
    theme = rng.choices(stuff.themes, [theme.weight for theme in stuff.themes])[0]
    category = _category(rng, world, theme)
    self_resolvable = category.self_resolvable if category else theme.self_resolvable
    lng, lat = _point_in(rng, place.geometry)
    by_worker = channel == "grid_worker" and self_resolvable
    ending = _ending(rng, by_worker)
    phone = _phone(rng) if channel in CALLER_CHANNELS else None
    return Story(
        at=at,
        channel=channel,
        place=place,
        lng=lng,
        lat=lat,
        theme=theme,
        category=category.code if category else None,
        description=_description(rng, world, theme, category, place),
        ending=ending,
        returned=rng.random() < SHARE_RETURNED,
        reopened=rng.random() < SHARE_REOPENED,
        extended=rng.random() < SHARE_EXTENDED,
        late_stage=rng.choices(list(LATE_STAGES), list(LATE_STAGES.values()))[0],
        phone=phone,
        rating=_rating(rng) if phone and rng.random() < SHARE_RATED else None,
    )


def _category(rng: random.Random, world: World, theme: Theme) -> Choice | None:
    """A category of the theme's department kind when categories are seeded, else none."""
    choices = world.categories.get(theme.kind)
    return rng.choice(choices) if choices else None


def _ending(rng: random.Random, by_worker: bool) -> str:
    draw = rng.random()
    if draw < SHARE_REJECTED:
        return Status.REJECTED.value
    if by_worker and draw < SHARE_REJECTED + SHARE_SELF_RESOLVED_BY_WORKERS:
        return Status.SELF_RESOLVED.value
    return Status.RESOLVED.value


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _rating(rng: random.Random) -> int:
    return rng.choices(range(1, 6), material().ratings)[0]


def _point_in(rng: random.Random, geometry: BaseGeometry) -> tuple[float, float]:
    """A uniform point inside the grid; its representative point if the draws keep missing."""
    min_x, min_y, max_x, max_y = geometry.bounds
    for _ in range(30):
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if geometry.contains(Point(x, y)):
            return x, y
    inside = geometry.representative_point()
    return inside.x, inside.y


def _description(
    rng: random.Random, world: World, theme: Theme, category: Choice | None, place: Place
) -> str:
    """A real message that fits, else a built-in sentence naming the place and the problem."""
    district = world.district_names.get(place.district, "")
    pool = world.messages.get(category.code if category else theme.kind)
    if pool and rng.random() < SHARE_FROM_MESSAGES:
        return rng.choice(pool).replace("{district}", district)
    where = district + place.name
    if category is None:
        return rng.choice(theme.reports).format(place=where)
    return rng.choice(material().category_reports).format(place=where, category=category.name)


# --- the case's life -----------------------------------------------------------------------


def _report(db: Session, world: World, story: Story, index: GridIndex) -> Case:
    intake = Intake(
        description=story.description,
        channel=story.channel,
        lng=story.lng,
        lat=story.lat,
        category_code=story.category,
        reporter_phone=story.phone,
    )
    case, _ = report_case(db, index, intake=intake, actor=_reporter(world, story), now=story.at)
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
        stage = case.stage or STAGE_OF_STATUS.get(case.status) or "rate"
        window = timedelta(hours=FALLBACK_STAGE_HOURS[stage])
        due = previous + window
    window = max(due - previous, timedelta(minutes=10))
    if late:
        return due + timedelta(hours=rng.uniform(1.0, 72.0))
    return previous + max(window * rng.uniform(0.05, 0.85), timedelta(minutes=2))
