"""Fixtures of the sensing tests: a city with its categories, and devices registered in it."""

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.scenes import seed_example_rules
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
    db: Session,
    city: City,
    *,
    code: str,
    kind: DeviceKind,
    grid: str,
    name: str,
    frigate_camera: str | None = None,
) -> Registered:
    lng, lat = city.point_in(grid)
    data = DeviceInput(
        code=code, kind=kind, name=name, spot=Spot(lng, lat), frigate_camera=frigate_camera
    )
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


FRIGATE_CAMERA = "gate_east"


@pytest.fixture
def frigate_camera(db: Session, sensing: City) -> Registered:
    """A camera Frigate knows as `gate_east`, with the built-in scene rules for the whole city."""
    camera = _register(
        db,
        sensing,
        code=CAMERA_CODE,
        kind=DeviceKind.CAMERA,
        grid=OWN_GRID,
        name="东门摄像机",
        frigate_camera=FRIGATE_CAMERA,
    )
    seed_example_rules(db, console_actor(), region_code=sensing.code)
    db.commit()
    return camera


# 2026-12-07 10:00 in Shanghai: the morning of a working day.
MORNING = datetime(2026, 12, 7, 2, 0, tzinfo=UTC).timestamp()


def frigate_event(
    kind: str,
    object_id: str,
    *,
    at: float,
    start: float = MORNING,
    label: str = "car",
    zones: tuple[str, ...] = ("no_parking",),
    camera: str = FRIGATE_CAMERA,
    **extra: object,
) -> bytes:
    """A `frigate/events` message shaped as Frigate publishes it (MQTT docs), fields we drop too."""
    tracked = {
        "id": object_id,
        "camera": camera,
        "frame_time": at,
        "snapshot_time": at,
        "label": label,
        "sub_label": None,
        "top_score": 0.92,
        "false_positive": False,
        "start_time": start,
        "end_time": at if kind == "end" else None,
        "score": 0.87,
        "box": [424, 500, 536, 712],
        "area": 23744,
        "ratio": 2.11,
        "region": [264, 450, 667, 853],
        "current_zones": list(zones),
        "entered_zones": list(zones),
        "thumbnail": None,
        "has_snapshot": True,
        "has_clip": False,
        "active": True,
        "stationary": at - start > 60,
        "motionless_count": 0,
        "position_changes": 1,
        "attributes": {},
        "current_attributes": [],
        **extra,
    }
    return json.dumps({"type": kind, "before": tracked, "after": tracked}).encode()


def frigate_review(review_id: str, *, at: float, severity: str = "alert") -> bytes:
    """A `frigate/reviews` message as Frigate publishes it."""
    item = {
        "id": review_id,
        "camera": FRIGATE_CAMERA,
        "start_time": at,
        "end_time": None,
        "severity": severity,
        "thumb_path": f"/media/frigate/clips/review/thumb-{FRIGATE_CAMERA}-{review_id}.webp",
        "data": {
            "detections": ["1718987128.947436-g92ztx"],
            "objects": ["person", "car"],
            "sub_labels": ["张三"],
            "zones": ["no_parking"],
            "audio": [],
        },
    }
    return json.dumps({"type": "new", "before": item, "after": item}).encode()


def jpeg(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small JPEG, as Frigate's snapshot topic carries."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


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
