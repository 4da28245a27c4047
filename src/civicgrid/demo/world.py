"""The stored demo city as the case generator reads it, and the words its stories use.

The themes, channels and rhythms come from `case_templates.json`; the places,
departments and categories are read once from the database; real residents'
messages, when given, are sorted into pools by the keywords they contain.
"""

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import accumulate
from pathlib import Path

from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import ApiKey, Department, User
from civicgrid.categories.in_force import categories_in_force
from civicgrid.divisions import Level
from civicgrid.geo.models import Region
from civicgrid.geo.service import grid_geometries

URBAN_GRID_WEIGHT = 3.0
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
    """Level-2 categories of the taxonomy in force by the department kind that handles them:
    the only ones a case may be filed under (a theme none of them fits files none, and
    intake's classifier chooses)."""
    by_kind: dict[str, list[Choice]] = {}
    for category in categories_in_force(db):
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
