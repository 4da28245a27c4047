"""What will happen to each demo case, drawn before it is reported.

A story fixes the moment, channel, place, problem and words of a report, and
how its handling goes (returned, reopened, extended, late, rated), with the
shares below; the same random generator gives the same stories.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from civicgrid.cases.states import Status
from civicgrid.demo.world import Choice, Place, Theme, World, material
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

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
    lng, lat = point_in(rng, place.geometry)
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


def point_in(rng: random.Random, geometry: BaseGeometry) -> tuple[float, float]:
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
