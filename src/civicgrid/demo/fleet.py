"""The demo city's devices: cameras, sensors and SOS buttons, registered through the services.

Where they stand and what they are called comes from `fleet.json`; this
module places them in the stored city (the first 街道 of the first district,
where the demo's street dispatcher works, gets most of them), gives each a
GB/T 28181 code under its district's centre and registers it with
`alarms.service.register_device`, so each one is checked, placed in its grid
and written to the change log like any device a keeper adds.

A device's key is shown once, at registration; the simulator needs it to
connect as the device, so the keys are kept in a private file beside the demo
accounts. Running again registers what is missing and gives a new key to a
device whose key was lost, so an older demo gains its fleet too.
"""

import json
import random
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.models import Device, DeviceStatus, ThresholdRule
from civicgrid.alarms.scenes import seed_example_rules
from civicgrid.alarms.service import (
    DeviceChanges,
    DeviceInput,
    Spot,
    register_device,
    rotate_key,
    update_device,
)
from civicgrid.alarms.thresholds import ThresholdInput, create_threshold
from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor
from civicgrid.divisions import Level
from civicgrid.geo.models import Region
from civicgrid.geo.service import GridIndex, grid_geometries

# 网络标识 6: the government network the city's sensing platform runs on.
NETWORK = "6"
# Random streams of their own, so a new device row never moves the others.
_PLACES = 0
_POINTS = 1
_POINT_TRIES = 200
# About 20 m: a device is never placed on a grid's edge.
_MARGIN_DEGREES = 0.0002


@dataclass(frozen=True)
class PlannedDevice:
    """One device of the fleet: where it stands and what it is, before registration."""

    code: str
    kind: DeviceKind
    name: str
    lng: float
    lat: float
    grid: str
    department_code: str | None
    rate: float
    camera: str | None = None
    presses_sos: bool = False


@dataclass(frozen=True)
class FleetDevice:
    """A registered device as the simulator needs it: its credentials and its alarm rate,
    its Frigate camera name, and whether the simulator presses it (an SOS button)."""

    code: str
    kind: DeviceKind
    name: str
    key: str
    rate: float = 1.0
    camera: str | None = None
    presses_sos: bool = False


@cache
def fleet_data() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("fleet.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def plan_fleet(db: Session, *, seed: int) -> list[PlannedDevice]:
    """The fleet for the stored city: the same city and seed always give the same devices."""
    grids = dict(grid_geometries(db))
    streets = _streets(db, grids)
    if not streets:
        return []
    departments = set(db.scalars(select(Department.code)))
    serials: dict[str, int] = {}
    planned = []
    for row_number, row in enumerate(fleet_data()["devices"]):
        rng = random.Random(f"{seed}-{row_number}-{_PLACES}")
        for street, name in _placements(streets, row):
            grid = rng.choice(sorted(code for code in grids if code.startswith(street.code)))
            lng, lat = _point_in(grids[grid], random.Random(f"{seed}-{grid}-{name}-{_POINTS}"))
            district = street.code[:6]
            serials[district] = serials.get(district, 0) + 1
            department = f"{district}-{row['department']}"
            code = f"{district}00{row['industry']}{row['type']:03d}{NETWORK}{serials[district]:06d}"
            kind = DeviceKind(row["kind"])
            planned.append(
                PlannedDevice(
                    code=code,
                    kind=kind,
                    name=name.format(street=street.name),
                    lng=lng,
                    lat=lat,
                    grid=grid,
                    department_code=department if department in departments else None,
                    rate=float(row.get("rate", 1.0)),
                    camera=camera_name(code) if kind is DeviceKind.CAMERA else None,
                    presses_sos=name in row.get("pressed", []),
                )
            )
    return planned


def camera_name(code: str) -> str:
    """The name the demo's Frigate server knows a camera by: unique, as its code is."""
    return f"cam_{code}"


def _streets(db: Session, grids: dict[str, BaseGeometry]) -> list[Region]:
    """Townships that have grids, in code order (districts first to last)."""
    codes = {grid[:9] for grid in grids}
    query = select(Region).where(Region.level == Level.STREET.value, Region.code.in_(codes))
    return list(db.scalars(query.order_by(Region.code)))


def _placements(streets: list[Region], row: dict[str, Any]) -> list[tuple[Region, str]]:
    """(township, name pattern) for every device of a row of fleet.json."""
    first_district = streets[0].code[:6]
    urban = [s for s in streets if s.code[:6] == first_district and _is_urban(s.code)]
    names: list[str] = row["names"]
    where = row["at"]
    if where == "first_street":
        return [(streets[0], name) for name in names]
    if where == "urban_streets":
        return [(street, name) for street in urban[1:] for name in names]
    towns: dict[str, Region] = {}
    for street in streets:
        if not _is_urban(street.code):
            towns.setdefault(street.code[:6], street)
    return [(town, name) for town in towns.values() for name in names]


def _is_urban(street_code: str) -> bool:
    """街道 are numbered 001-099; 镇 1xx, 乡 2xx."""
    return street_code[6] == "0"


def _point_in(grid: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    """A point well inside the grid, so the locator finds this grid and no neighbour."""
    inner = grid.buffer(-_MARGIN_DEGREES)
    if inner.is_empty:
        inner = grid
    min_lng, min_lat, max_lng, max_lat = inner.bounds
    for _ in range(_POINT_TRIES):
        point = Point(rng.uniform(min_lng, max_lng), rng.uniform(min_lat, max_lat))
        if inner.contains(point):
            return round(point.x, 6), round(point.y, 6)
    representative = grid.representative_point()
    return round(representative.x, 6), round(representative.y, 6)


def ensure_fleet(
    db: Session, actor: Actor, *, grid_index: GridIndex, seed: int, known_keys: dict[str, str]
) -> list[FleetDevice]:
    """Register the planned devices that are missing; returns the enabled ones with their keys.

    `known_keys` are the keys kept from an earlier run; a device without one gets
    a new key (the old is lost). The caller commits, then saves the keys.
    """
    fleet = []
    for planned in plan_fleet(db, seed=seed):
        device = db.scalar(select(Device).where(Device.code == planned.code))
        if device is None:
            device, key = register_device(db, actor, grid_index=grid_index, data=_input(planned))
        elif device.status == DeviceStatus.DISABLED.value:
            continue  # a keeper switched it off: the simulator leaves it silent
        elif planned.code in known_keys:
            key = known_keys[planned.code]
        else:
            device, key = rotate_key(db, actor, planned.code)
        if planned.camera is not None and device.frigate_camera is None:
            # An older demo's camera, registered before it had a Frigate name.
            changes = DeviceChanges(frigate_camera=planned.camera)
            update_device(db, actor, grid_index=grid_index, code=device.code, changes=changes)
        fleet.append(
            FleetDevice(
                device.code,
                planned.kind,
                device.name,
                key,
                planned.rate,
                camera=device.frigate_camera,
                presses_sos=planned.presses_sos,
            )
        )
    return fleet


def ensure_demo_rules(db: Session, actor: Actor) -> None:
    """The rules the simulator's scenes and readings are made for: the built-in scene rules
    for the whole demo city, and the water-level threshold, each added once."""
    city = db.scalar(select(Region.code).where(Region.level == Level.CITY.value))
    if city is not None:
        seed_example_rules(db, actor, region_code=city)
    rule = fleet_data()["water_level_rule"]
    kind = DeviceKind.WATER_LEVEL_SENSOR.value
    existing = select(ThresholdRule.id).where(
        ThresholdRule.device_kind == kind, ThresholdRule.alarm_type == rule["alarm_type"]
    )
    if db.scalar(existing.limit(1)) is None:
        create_threshold(db, actor, ThresholdInput(**rule, device_kind=kind))


def _input(planned: PlannedDevice) -> DeviceInput:
    return DeviceInput(
        code=planned.code,
        kind=planned.kind,
        name=planned.name,
        spot=Spot(planned.lng, planned.lat),
        department_code=planned.department_code,
        frigate_camera=planned.camera,
    )


def load_keys(path: Path) -> dict[str, str]:
    """The device keys an earlier run kept; none when the file is missing or unreadable."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["devices"]
        return {row["code"]: row["key"] for row in rows}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def save_keys(path: Path, fleet: list[FleetDevice]) -> None:
    """Private like the demo accounts: the keys let anyone publish as the devices."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{**asdict(device), "kind": device.kind.value} for device in fleet]
    path.write_text(json.dumps({"devices": rows}, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
