"""Field work fixtures: two grid workers, a few households and key places, a clock.

Households and key places are made through the registry's service, as an
administrator would register them.
"""

import base64
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.geo.service import GridIndex
from civicgrid.registry.households import create_household
from civicgrid.registry.key_places import create_key_place
from civicgrid.registry.models import Household, KeyPlace, PlaceKind
from civicgrid.registry.schemas import HouseholdIn, KeyPlaceIn, PlaceIn
from civicgrid.timeutil import DISPLAY_ZONE, utcnow
from civicgrid.workcalendar import is_workday
from tests.factories import PASSWORD, AuthedUser, City, People, user_row

GRID = "530502001001001"
NEIGHBOUR_GRID = "530502001001002"
OTHER_DISTRICT_GRID = "530521001001001"


@dataclass(frozen=True)
class Workers:
    worker: AuthedUser
    neighbour: AuthedUser
    far: AuthedUser


@pytest.fixture(autouse=True)
def photo_dir(photo_dir: Path) -> Path:
    """Every field-work test keeps its photos in its own data directory (tests/conftest.py)."""
    return photo_dir


@pytest.fixture
def workers(db: Session, people: People) -> Workers:
    """A worker of GRID, one of the next grid in the same community, one in another district."""
    made = Workers(
        worker=grid_worker(db, "worker", GRID),
        neighbour=grid_worker(db, "neighbour", NEIGHBOUR_GRID),
        far=grid_worker(db, "far", OTHER_DISTRICT_GRID),
    )
    db.commit()
    return made


def grid_worker(db: Session, username: str, grid: str) -> AuthedUser:
    auth_service.create_user(
        db, username=username, password=PASSWORD, role=Role.GRID_WORKER, scope_code=grid
    )
    return AuthedUser(username=username, password=PASSWORD, scope_code=grid, role=Role.GRID_WORKER)


def _admin(db: Session) -> Actor:
    return auth_service.actor_for_user(user_row(db, "admin"))


def add_household(db: Session, city: City, grid: str, number: str) -> Household:
    """A household at a room address at the centre of `grid`, through the registry's service."""
    lng, lat = city.point_in(grid)
    place = PlaceIn(address=f"兴华路{number[-3:]}号1栋1单元101室", lng=lng, lat=lat)
    household = create_household(
        db, _admin(db), grid_index=GridIndex(), data=HouseholdIn(number=number, address=place)
    )
    db.commit()
    return household


def add_key_place(db: Session, city: City, grid: str, name: str, every_days: int) -> KeyPlace:
    lng, lat = city.point_in(grid)
    data = KeyPlaceIn(
        name=name,
        kind=PlaceKind.MARKET,
        address=PlaceIn(address=f"兴华路{name}", lng=lng, lat=lat),
        patrol_every_days=every_days,
    )
    place = create_key_place(db, _admin(db), grid_index=GridIndex(), data=data)
    db.commit()
    return place


def png(colour: tuple[int, int, int]) -> str:
    """A small photo as a phone app sends it in JSON; the colour makes its content unique."""
    buffer = BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def working_day() -> date:
    """The latest working day whose 09:00-11:00 (Beijing) has passed: records may be dated in it.

    The API takes the phone's time against the real clock, so the tests date their
    records on a real recent working day rather than a fixed one.
    """
    now = utcnow().astimezone(DISPLAY_ZONE)
    day = now.date()
    while not is_workday(day) or at(day, 120) > now:
        day -= timedelta(days=1)
    return day


def at(day: date, minute: int) -> datetime:
    """`minute` minutes after 09:00 Beijing time on `day`."""
    return datetime.combine(day, time(9, 0), DISPLAY_ZONE) + timedelta(minutes=minute)


def check_in(city: City, minute: int = 0, **extra: object) -> dict[str, object]:
    """A check-in record's body at the centre of GRID, `minute` minutes into a working morning."""
    lng, lat = city.point_in(GRID)
    when = at(working_day(), minute).isoformat()
    return {"task_type": "check_in", "occurred_at": when, "lng": lng, "lat": lat, **extra}
