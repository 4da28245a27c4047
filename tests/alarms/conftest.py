"""Fixtures of the sensing tests: a city with its categories, and devices registered in it."""

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.categories.seeds import seed_builtin
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from tests.factories import OTHER_GRID, OWN_GRID, City

# GB/T 28181 codes under the 隆阳区 (530502) and 施甸县 (530521) centres: industry 08
# (城市管理接入), type 134 (alarm input) or 132 (IP camera), network 6 (government).
SMOKE_CODE = "53050200081346000001"
CAMERA_CODE = "53050200081326000002"
FAR_SENSOR_CODE = "53052100081346000003"
NEIGHBOUR_CODE = "53050200081346000004"


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


@pytest.fixture
def neighbour_sensor(db: Session, sensing: City) -> Registered:
    """A second smoke sensor in the own grid, beside `smoke_sensor`: one place, two devices."""
    return _register(
        db,
        sensing,
        code=NEIGHBOUR_CODE,
        kind=DeviceKind.SMOKE_SENSOR,
        grid=OWN_GRID,
        name="烟感二号",
    )
