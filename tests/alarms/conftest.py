"""Fixtures of the sensing tests: a city with its categories, and devices registered in it."""

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.auth.models import Role
from civicgrid.auth.service import actor_for_user, create_department, create_user
from civicgrid.categories.seeds import seed_builtin
from civicgrid.console import console_actor
from civicgrid.fieldwork.duty import report_position
from civicgrid.geo.service import GridIndex
from civicgrid.timeutil import utcnow
from tests.factories import (
    CITY,
    OTHER_DISTRICT,
    OTHER_GRID,
    OWN_DISTRICT,
    OWN_GRID,
    PASSWORD,
    City,
    user_row,
)

# GB/T 28181 codes under the 隆阳区 (530502) and 施甸县 (530521) centres: industry 08
# (城市管理接入), type 134 (alarm input) or 132 (IP camera), network 6 (government).
SMOKE_CODE = "53050200081346000001"
CAMERA_CODE = "53050200081326000002"
FAR_SENSOR_CODE = "53052100081346000003"


@dataclass(frozen=True)
class Registered:
    code: str
    key: str
    grid: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Device-Code": self.code, "X-Device-Key": self.key}


def _register(
    db: Session, city: City, *, code: str, kind: DeviceKind, grid: str, name: str
) -> Registered:
    lng, lat = city.point_in(grid)
    data = DeviceInput(code=code, kind=kind, name=name, spot=Spot(lng, lat))
    device, key = register_device(db, console_actor(), grid_index=GridIndex(), data=data)
    db.commit()
    return Registered(code=device.code, key=key, grid=grid)


@pytest.fixture
def sensing(db: Session, city: City) -> City:
    """The city with the built-in categories alarm rules file cases under."""
    seed_builtin(db)
    db.commit()
    return city


@pytest.fixture
def smoke_sensor(db: Session, sensing: City) -> Registered:
    return _register(
        db, sensing, code=SMOKE_CODE, kind=DeviceKind.SMOKE_SENSOR, grid=OWN_GRID, name="烟感一号"
    )


@pytest.fixture
def far_sensor(db: Session, sensing: City) -> Registered:
    """A sensor in the other district, outside the owner's street."""
    return _register(
        db,
        sensing,
        code=FAR_SENSOR_CODE,
        kind=DeviceKind.WATER_LEVEL_SENSOR,
        grid=OTHER_GRID,
        name="水位计",
    )


SOS_BUTTON_CODE = "53050200081346000009"


@pytest.fixture
def sos_button(db: Session, sensing: City) -> Registered:
    """A key place's SOS button (a school's gate) in the own grid."""
    return _register(
        db,
        sensing,
        code=SOS_BUTTON_CODE,
        kind=DeviceKind.SOS_BUTTON,
        grid=OWN_GRID,
        name="一中门卫室",
    )


@dataclass(frozen=True)
class SosWorld:
    """Who an SOS in the own grid alerts, and who it must not: usernames by part."""

    district_dispatcher: str = "s.district_dispatcher"
    city_dispatcher: str = "s.city_dispatcher"
    foreign_dispatcher: str = "s.foreign_dispatcher"
    police: str = "s.police"
    presser: str = "s.presser"
    near_worker: str = "s.near_worker"
    far_worker: str = "s.far_worker"


@pytest.fixture
def sos_world(db: Session, sensing: City) -> SosWorld:
    """Centres at both levels, the district's police, and three grid workers on duty."""
    world = SosWorld()
    create_department(
        db, code="530502-police", name="公安分局", kind="police", region_code=OWN_DISTRICT
    )
    accounts = [
        (world.district_dispatcher, Role.DISPATCHER, OWN_DISTRICT, None),
        (world.city_dispatcher, Role.DISPATCHER, CITY, None),
        (world.foreign_dispatcher, Role.DISPATCHER, OTHER_DISTRICT, None),
        (world.police, Role.DEPARTMENT_HANDLER, OWN_DISTRICT, "530502-police"),
        (world.presser, Role.GRID_WORKER, OWN_GRID, None),
        (world.near_worker, Role.GRID_WORKER, OWN_GRID, None),
        (world.far_worker, Role.GRID_WORKER, OWN_GRID, None),
    ]
    for username, role, scope, department in accounts:
        create_user(
            db,
            username=username,
            password=PASSWORD,
            role=role,
            scope_code=scope,
            department_code=department,
        )
    lng, lat = sensing.point_in(OWN_GRID)
    now = utcnow()
    for username, offset in ((world.near_worker, 0.001), (world.far_worker, 0.05)):
        worker = actor_for_user(user_row(db, username))
        report_position(db, worker, lng=lng + offset, lat=lat, accuracy_m=5.0, now=now)
    db.commit()
    return world
