"""Registry fixtures: valid identifiers made by their own check rules, actors, a grid worker,
and a few residents built through the service."""

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.geo.service import GridIndex
from civicgrid.registry import residents
from civicgrid.registry.models import Resident
from civicgrid.registry.schemas import PlaceIn, ResidentIn
from civicgrid.registry.validation import (
    credit_code_check_char,
    organisation_code_check_char,
    resident_id_check_char,
)
from civicgrid.settings import Settings
from tests.factories import PASSWORD, AuthedUser, City, People, user_row

OWN_COMMUNITY = "530502001001"
OWN_GRID = "530502001001001"
NEXT_GRID = "530502001001002"
OTHER_STREET_GRID = "530502002001001"
OTHER_DISTRICT_GRID = "530521001001001"


def id_number(body: str) -> str:
    """An 18-character resident ID with its correct check character."""
    return body + resident_id_check_char(body)


def credit_code(organisation: str = "MA6K1234", region: str = "530502") -> str:
    """A unified social credit code whose two check characters are right."""
    body = "91" + region + organisation + organisation_code_check_char(organisation)
    return body + credit_code_check_char(body)


WANG = id_number("53050219850312003")
LI = id_number("53050219900101123")
ZHAO = id_number("53052119770707005")
WANG_PHONE = "13812345678"
LI_PHONE = "13987654321"
ZHAO_PHONE = "15012345678"


def actor_of(db: Session, username: str) -> Actor:
    return auth_service.actor_for_user(user_row(db, username))


@dataclass(frozen=True)
class Registry:
    """Three residents: two in the owner's street, one in the other district."""

    wang: Resident
    li: Resident
    zhao: Resident


@pytest.fixture
def worker(db: Session, people: People) -> AuthedUser:
    """A grid worker of the owner's first grid."""
    auth_service.create_user(
        db, username="worker", password=PASSWORD, role=Role.GRID_WORKER, scope_code=OWN_GRID
    )
    db.commit()
    return AuthedUser(
        username="worker", password=PASSWORD, scope_code=OWN_GRID, role=Role.GRID_WORKER
    )


@pytest.fixture
def grid_index() -> GridIndex:
    return GridIndex()


@pytest.fixture
def handed_over_settings(settings: Settings) -> Settings:
    """Settings under which an import hands every row after the headings to a reading
    process (registry/importing/pipeline.py), as it does with the rest of a long file."""
    return settings.model_copy(update={"registry_import_hand_over_rows": 0})


@pytest.fixture(params=["own_process", "reading_process"])
def import_settings(
    request: pytest.FixtureRequest, settings: Settings, handed_over_settings: Settings
) -> Settings:
    """Settings for an import on either path, so small test files exercise both: every row
    read where the import runs (a small file's path), or in a reading process."""
    return settings if request.param == "own_process" else handed_over_settings


def place_in(city: City, grid: str, address: str) -> PlaceIn:
    lng, lat = city.point_in(grid)
    return PlaceIn(address=address, lng=lng, lat=lat)


def add_resident(
    db: Session,
    settings: Settings,
    grid_index: GridIndex,
    *,
    actor: Actor,
    name: str,
    number: str,
    place: PlaceIn,
    phone: str | None = None,
    household: str | None = None,
    care_groups: tuple[str, ...] = (),
) -> Resident:
    data = ResidentIn.model_validate(
        {
            "name": name,
            "id_number": number,
            "phone": phone,
            "household_number": household,
            "address": place.model_dump(),
            "care_groups": list(care_groups),
        }
    )
    resident = residents.create_resident(
        db, actor, settings=settings, grid_index=grid_index, data=data
    )
    db.commit()
    return resident


@pytest.fixture
def registry(
    db: Session, settings: Settings, city: City, people: People, grid_index: GridIndex
) -> Registry:
    admin = actor_of(db, "admin")
    wang = add_resident(
        db,
        settings,
        grid_index,
        actor=admin,
        name="王小明",
        number=WANG,
        phone=WANG_PHONE,
        place=place_in(city, OWN_GRID, "正阳北路12号3栋2单元501室"),
        household="H0001",
        care_groups=("lonely_elderly",),
    )
    li = add_resident(
        db,
        settings,
        grid_index,
        actor=admin,
        name="李华",
        number=LI,
        phone=LI_PHONE,
        place=place_in(city, NEXT_GRID, "正阳北路14号1栋1单元101室"),
    )
    zhao = add_resident(
        db,
        settings,
        grid_index,
        actor=admin,
        name="赵强",
        number=ZHAO,
        phone=ZHAO_PHONE,
        place=place_in(city, OTHER_DISTRICT_GRID, "保岫东路3号"),
    )
    return Registry(wang=wang, li=li, zhao=zhao)
