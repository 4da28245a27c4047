"""Fixed test data built through the services: a small city and its people.

Two districts of 保山市 with real codes; each street a 2×2 block of
communities, each community a 2×2 block of grids, all squares in WGS-84 so
a point's grid is obvious from its coordinates.

Below the city and its people, the helpers more than one test module uses:
signing in, reporting a case, a photo, a taxonomy workbook, a grid file, a
register file and the command line. Tests import them from here, never from
another test module.
"""

import csv
import io
import json
import os
import re
import socket
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from openpyxl import Workbook
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational
from shapely.geometry import box, mapping
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from civicgrid.alarms.broker import FrigateSource
from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.intake import AlarmReport, take_alarm
from civicgrid.alarms.local_broker import LocalBroker, mosquitto_binary, start_local_broker
from civicgrid.alarms.models import Device
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.archive.events import ArchiveEvent
from civicgrid.auth import service as auth_service
from civicgrid.auth.models import KeyKind, Role, User
from civicgrid.auth.scope import ANONYMOUS, NATIONAL_SCOPE, Actor
from civicgrid.cases.models import Case
from civicgrid.cases.service import Intake, report_case
from civicgrid.cases.states import Status
from civicgrid.cases.workflow import Change, transition
from civicgrid.categories import excel
from civicgrid.cli import main
from civicgrid.disputes.models import DisputeKind, PartyRole, Source
from civicgrid.disputes.schemas import DisputeIn, PartyIn
from civicgrid.disputes.service import create_dispute
from civicgrid.divisions import Level, child_code
from civicgrid.geo.records import RegionRecord
from civicgrid.geo.service import GridIndex, save_regions
from civicgrid.registry.residents import create_resident
from civicgrid.registry.schemas import PlaceIn, ResidentIn
from civicgrid.registry.validation import resident_id_check_char
from civicgrid.settings import Settings
from civicgrid.sources.models import ExternalSource, SourceKind
from civicgrid.sources.schemas import SourceIn
from civicgrid.sources.service import save_source
from civicgrid.timeutil import utcnow

PASSWORD = "correct-horse-42"
CITY = "530500"
OWN_DISTRICT = "530502"
OTHER_DISTRICT = "530521"
OWN_STREET = "530502001"
OTHER_STREET_SAME_DISTRICT = "530502002"
OWN_COMMUNITY = f"{OWN_STREET}001"
OWN_GRID = f"{OWN_COMMUNITY}001"
OTHER_GRID = f"{OTHER_DISTRICT}001001001"
CELL = 0.01  # degrees per grid side


@dataclass(frozen=True)
class City:
    code: str
    grids: dict[str, tuple[float, float]]  # grid code -> a point well inside it

    def point_in(self, grid_code: str) -> tuple[float, float]:
        return self.grids[grid_code]


@dataclass(frozen=True)
class AuthedUser:
    username: str
    password: str
    scope_code: str
    role: Role


@dataclass(frozen=True)
class People:
    admin: AuthedUser
    owner: AuthedUser
    peer: AuthedUser
    outsider: AuthedUser
    leader: AuthedUser


DISTRICT_ORIGINS = {OWN_DISTRICT: (99.10, 25.10), OTHER_DISTRICT: (99.20, 25.10)}


def build_city(db: Session) -> City:
    records = [
        RegionRecord("530000", "云南省", Level.PROVINCE, None),
        RegionRecord(CITY, "保山市", Level.CITY, "530000", box(99.0, 25.0, 99.4, 25.4)),
    ]
    grids: dict[str, tuple[float, float]] = {}
    for district, (x0, y0) in DISTRICT_ORIGINS.items():
        records.append(
            RegionRecord(
                district, f"区{district}", Level.DISTRICT, CITY, box(x0, y0, x0 + 0.08, y0 + 0.04)
            )
        )
        for street_number in (1, 2):
            sx = x0 + (street_number - 1) * 4 * CELL
            records.extend(_street(district, street_number, sx, y0, grids))
    save_regions(db, records, kind="test", summary="test city")
    db.commit()
    return City(code=CITY, grids=grids)


def _street(
    district: str, number: int, x0: float, y0: float, grids: dict[str, tuple[float, float]]
) -> list[RegionRecord]:
    street = child_code(district, number)
    records = [
        RegionRecord(
            street,
            f"街道{street}",
            Level.STREET,
            district,
            box(x0, y0, x0 + 4 * CELL, y0 + 4 * CELL),
        )
    ]
    for index, (cx, cy) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)], start=1):
        community = child_code(street, index)
        bx, by = x0 + cx * 2 * CELL, y0 + cy * 2 * CELL
        records.append(
            RegionRecord(
                community,
                f"社区{community}",
                Level.COMMUNITY,
                street,
                box(bx, by, bx + 2 * CELL, by + 2 * CELL),
            )
        )
        for grid_index, (gx, gy) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)], start=1):
            grid = child_code(community, grid_index)
            gx0, gy0 = bx + gx * CELL, by + gy * CELL
            records.append(
                RegionRecord(
                    grid,
                    f"网格{grid}",
                    Level.GRID,
                    community,
                    box(gx0, gy0, gx0 + CELL, gy0 + CELL),
                )
            )
            grids[grid] = (gx0 + CELL / 2, gy0 + CELL / 2)
    return records


def _user(db: Session, username: str, role: Role, scope: str) -> AuthedUser:
    auth_service.create_user(db, username=username, password=PASSWORD, role=role, scope_code=scope)
    return AuthedUser(username=username, password=PASSWORD, scope_code=scope, role=role)


def build_people(db: Session, city: City) -> People:
    """Three fixed people for jurisdiction tests, plus an administrator and a leader."""
    people = People(
        admin=_user(db, "admin", Role.ADMIN, city.code),
        owner=_user(db, "owner", Role.DISPATCHER, OWN_STREET),
        peer=_user(db, "peer", Role.COMMUNITY_STAFF, OWN_STREET),
        outsider=_user(db, "outsider", Role.DISPATCHER, OTHER_DISTRICT),
        leader=_user(db, "leader", Role.LEADER, city.code),
    )
    db.commit()
    return people


def district_leader(db: Session, district: str = OWN_DISTRICT) -> AuthedUser:
    """A leader of one district (the fixed leader leads the whole city)."""
    leader = _user(db, f"leader.{district}", Role.LEADER, district)
    db.commit()
    return leader


def user_row(db: Session, username: str) -> User:
    found = db.scalar(select(User).where(User.username == username))
    assert found is not None
    return found


# --- signing in ----------------------------------------------------------------------------


def token_for(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def auth(client: TestClient, person: AuthedUser) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(client, person.username, person.password)}"}


ORIGIN = "http://testserver"


def page_token(page: str) -> str:
    """The CSRF token a page hands its scripts and forms."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str):
    """The sign-in form as a browser posts it: from this site's page, with its token."""
    token = page_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )


# --- cases ---------------------------------------------------------------------------------


# The command line's administrator (what `civicgrid` commands act as).
CONSOLE = Actor(kind="console", role=Role.ADMIN, scope_code=NATIONAL_SCOPE)


def actor(role: Role, scope: str = OWN_STREET, department_id: int | None = None) -> Actor:
    return Actor(
        kind="user", role=role, scope_code=scope, username=role.value, department_id=department_id
    )


def new_case(db: Session, city: City) -> Case:
    lng, lat = city.point_in(OWN_GRID)
    intake = Intake(description="路灯不亮", channel="resident", lng=lng, lat=lat)
    case, _ = report_case(db, GridIndex(), intake=intake, actor=actor(Role.RESIDENT, "530500"))
    return case


def report(client, city, grid=OWN_GRID, key=None, headers=None, **extra):
    lng, lat = city.point_in(grid)
    body = {"description": "井盖缺失", "channel": "resident", "lng": lng, "lat": lat, **extra}
    sent = {**(headers or {}), **({"Idempotency-Key": key} if key else {})}
    return client.post("/api/v1/cases", json=body, headers=sent)


REPORTER_PHONE = "13800138000"


def reported_by_phone(db: Session, city: City, actor: Actor | None = None) -> Case:
    """A resident's report through the service, leaving a phone to track it by."""
    lng, lat = city.point_in(OWN_GRID)
    intake = Intake(
        description="楼道灯坏了",
        channel="resident",
        lng=lng,
        lat=lat,
        reporter_phone=REPORTER_PHONE,
    )
    case, _ = report_case(db, GridIndex(), intake=intake, actor=actor or ANONYMOUS)
    return case


# --- photos --------------------------------------------------------------------------------

# A point in Baoshan, the small test city's home, as a phone would write it.
PHOTO_LNG, PHOTO_LAT = 99.1655, 25.1122


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Decimal degrees as EXIF writes them: whole degrees, whole minutes, seconds/1000."""
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 1000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 1000)


def exif_with(point: tuple[float, float] | None = None, orientation: int | None = None):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Civic Phone"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if point is not None:
        lng, lat = point
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: dms(abs(lat)),
            ExifTags.GPS.GPSLongitudeRef: "E" if lng >= 0 else "W",
            ExifTags.GPS.GPSLongitude: dms(abs(lng)),
        }
    return exif


def picture(
    fmt: str = "JPEG",
    *,
    point: tuple[float, float] | None = (PHOTO_LNG, PHOTO_LAT),
    orientation: int | None = None,
    size: tuple[int, int] = (40, 20),
    colour: str = "green",
) -> bytes:
    """A real image made here: left half red, right half `colour`, with EXIF and XMP."""
    image = Image.new("RGB", size, colour)
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    extra = {"xmp": b"<x:xmpmeta>owner: Zhang San</x:xmpmeta>"} if fmt != "PNG" else {}
    image.save(buffer, fmt, exif=exif_with(point, orientation), **extra)
    return buffer.getvalue()


# --- files an administrator uploads --------------------------------------------------------

TAXONOMY_HEADER = [excel.column_label(column, "zh-CN") for column in excel.COLUMNS]


def workbook(rows: Sequence[Sequence[object]], header: Sequence[object] | None = None) -> bytes:
    """A taxonomy workbook: the export's header (or `header`) and the rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header if header is not None else TAXONOMY_HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(**cells: object) -> list[object]:
    """One category row of the workbook; `default_departments__city=` sets a dotted column."""
    values: dict[str, object] = {
        "code": "UM-01-20",
        "parent_code": "UM-01",
        "name": "新分类",
        "risk_class": "city_appearance",
        "default_departments.city": "urban_management",
        "default_departments.district": "urban_management",
        "hour_basis": "工作小时",
        "self_resolvable": "否",
        "active": "是",
    }
    values |= {key.replace("__", "."): value for key, value in cells.items()}
    return [values.get(column) for column in excel.COLUMNS]


def community_grids(city: City) -> bytes:
    """The own community's four grids as they are, re-sent as a GeoJSON file."""
    features = []
    for code in sorted(code for code in city.grids if code.startswith(OWN_COMMUNITY)):
        x, y = city.point_in(code)
        half = CELL / 2
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": f"网格{code[-3:]}"},
                "geometry": mapping(box(x - half, y - half, x + half, y + half)),
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


RESIDENT_HEADINGS = (
    "姓名",
    "公民身份号码",
    "联系电话",
    "人口类型",
    "户号",
    "与户主关系",
    "地址",
    "网格编码",
    "入住日期",
    "关爱类别",
)


def id_number(serial: int, birth: str = "19800101") -> str:
    """A valid ID number of a 保山市隆阳区 resident: the serial picks the person."""
    body = f"530502{birth}{serial:03d}"
    return body + resident_id_check_char(body)


def resident(
    serial: int,
    *,
    name: str = "张三",
    number: str | None = None,
    grid: str = OWN_GRID,
    household: str = "",
    address: str = "",
    care: str = "",
    moved_in: object = "",
) -> list[object]:
    """One row of a residents register file."""
    return [
        name,
        number or id_number(serial),
        f"1391234{serial:04d}",
        "户籍",
        household,
        "户主" if household else "",
        address,
        grid,
        moved_in,
        care,
    ]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[object]],
    headings: Sequence[str] = RESIDENT_HEADINGS,
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headings)
        writer.writerows(rows)
    return path


# --- the command line ----------------------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- a world for reading rules: every role, own and foreign cases and disputes -------------

OWN_DEPARTMENT = "530502-urban"
OTHER_DEPARTMENT_SAME_DISTRICT = "530502-police"
FOREIGN_DEPARTMENT = "530521-urban"
OWN_DISPUTE_GRID = OWN_GRID
# Who signs in, as whom, where: one account per role (the administrator twice, at a
# street and for the whole city) and one key of each kind, all in the own area.
WORLD_ACCOUNTS: dict[str, tuple[Role, str, str | None]] = {
    "resident": (Role.RESIDENT, CITY, None),
    "grid_worker": (Role.GRID_WORKER, OWN_GRID, None),
    "community_staff": (Role.COMMUNITY_STAFF, OWN_COMMUNITY, None),
    "dispatcher": (Role.DISPATCHER, OWN_STREET, None),
    "leader": (Role.LEADER, OWN_STREET, None),
    "department_handler": (Role.DEPARTMENT_HANDLER, OWN_DISTRICT, OWN_DEPARTMENT),
    "police_handler": (Role.DEPARTMENT_HANDLER, OWN_DISTRICT, OTHER_DEPARTMENT_SAME_DISTRICT),
    "mediator": (Role.MEDIATOR, OWN_STREET, None),
    "admin": (Role.ADMIN, OWN_STREET, None),
    "city_admin": (Role.ADMIN, CITY, None),
    "other_resident": (Role.RESIDENT, CITY, None),
    "foreign_dispatcher": (Role.DISPATCHER, OTHER_DISTRICT, None),
}


@dataclass(frozen=True)
class AccessWorld:
    """Numbers of what was built, and the raw keys; each person's password is PASSWORD.

    `own_case` lies in the own grid, reported by `resident` and dispatched to the
    own department; `neighbour_case` beside it was reported by `other_resident`
    and is held by nobody; `foreign_case` lies in the other district, reported by
    `other_resident` and dispatched to the foreign department.
    """

    own_case: str
    neighbour_case: str
    foreign_case: str
    own_dispute: str
    foreign_dispute: str
    own_resident: int
    foreign_resident: int
    own_device: str
    own_device_key: str
    foreign_device: str
    own_alarm: int
    foreign_alarm: int
    keys: dict[str, str]


def _world_actor(db: Session, username: str) -> Actor:
    return auth_service.actor_for_user(user_row(db, username))


def _world_case(db: Session, city: City, grid: str, reporter: str, text: str) -> Case:
    lng, lat = city.point_in(grid)
    intake = Intake(description=text, channel="resident", lng=lng, lat=lat)
    case, _ = report_case(db, GridIndex(), intake=intake, actor=_world_actor(db, reporter))
    return case


def _world_device(db: Session, city: City, code: str, grid: str, name: str) -> tuple[str, str]:
    """The device's code and its own key: the one way a device proves itself."""
    lng, lat = city.point_in(grid)
    data = DeviceInput(code=code, kind=DeviceKind.SMOKE_SENSOR, name=name, spot=Spot(lng, lat))
    device, key = register_device(
        db, _world_actor(db, "w.city_admin"), grid_index=GridIndex(), data=data
    )
    return device.code, key


def _world_alarm(db: Session, device_code: str) -> int:
    """A battery-low alarm of the device: recorded only, so the world's cases stay as they are."""
    device = db.scalar(select(Device).where(Device.code == device_code))
    assert device is not None
    report = AlarmReport(event_id=f"world-{device_code}", alarm_type="low_battery")
    return take_alarm(db, GridIndex(), device=device, report=report).alarm.id


def _dispatch(db: Session, case: Case, dispatcher: str, department: str) -> None:
    centre = _world_actor(db, dispatcher)
    transition(db, case_id=case.id, change=Change(to=Status.ACCEPTED), actor=centre)
    target = auth_service.department_id(db, department)
    change = Change(to=Status.DISPATCHED, department_id=target)
    transition(db, case_id=case.id, change=change, actor=centre)


def _world_dispute(db: Session, settings: Settings, registrar: str, grid: str, text: str) -> str:
    data = DisputeIn(
        kind=DisputeKind.NEIGHBOUR,
        source=Source.WALK_IN,
        description=text,
        region_code=grid,
        parties=[PartyIn(role=PartyRole.APPLICANT, name="张三", phone="13812345678")],
    )
    dispute = create_dispute(
        db, _world_actor(db, registrar), settings=settings, data=data, now=utcnow()
    )
    return dispute.number


def _world_resident(db: Session, settings: Settings, serial: int, name: str, grid: str) -> int:
    data = ResidentIn(
        name=name, id_number=id_number(serial), address=PlaceIn(address=f"{name}家", grid_code=grid)
    )
    made = create_resident(
        db, _world_actor(db, "w.city_admin"), settings=settings, grid_index=GridIndex(), data=data
    )
    return made.id


def build_access_world(db: Session, city: City, settings: Settings) -> AccessWorld:
    """Everything the reading rules tell apart, built through the services and committed.

    `settings` are the app's: parties' phones are sealed with its data folder's keys.
    """
    for code, region in (
        (OWN_DEPARTMENT, OWN_DISTRICT),
        (OTHER_DEPARTMENT_SAME_DISTRICT, OWN_DISTRICT),
        (FOREIGN_DEPARTMENT, OTHER_DISTRICT),
    ):
        auth_service.create_department(
            db, code=code, name=code, kind=code.split("-")[1], region_code=region
        )
    for username, (role, scope, department) in WORLD_ACCOUNTS.items():
        auth_service.create_user(
            db,
            username=f"w.{username}",
            password=PASSWORD,
            role=role,
            scope_code=scope,
            department_code=department,
        )
    own = _world_case(db, city, OWN_GRID, "w.resident", "本人反映：路灯不亮")
    neighbour = _world_case(db, city, OWN_GRID, "w.other_resident", "邻居反映：井盖缺失")
    foreign = _world_case(db, city, OTHER_GRID, "w.other_resident", "外区反映：垃圾堆放")
    _dispatch(db, own, "w.dispatcher", OWN_DEPARTMENT)
    _dispatch(db, foreign, "w.foreign_dispatcher", FOREIGN_DEPARTMENT)
    keys = {
        kind.value: auth_service.create_api_key(
            db, name=f"{kind.value} key", scope_code=OWN_STREET, kind=kind
        )[1]
        for kind in KeyKind
    }
    own_resident = _world_resident(db, settings, 901, "本区居民王五", OWN_GRID)
    foreign_resident = _world_resident(db, settings, 902, "外区居民赵六", OTHER_GRID)
    own_dispute = _world_dispute(db, settings, "w.dispatcher", OWN_GRID, "本辖区邻里纠纷")
    foreign_dispute = _world_dispute(
        db, settings, "w.foreign_dispatcher", OTHER_GRID, "外区邻里纠纷"
    )
    own_device, own_device_key = _world_device(
        db, city, "53050200081346000101", OWN_GRID, "本辖区烟感"
    )
    foreign_device, _ = _world_device(db, city, "53052100081346000102", OTHER_GRID, "外区烟感")
    own_alarm = _world_alarm(db, own_device)
    foreign_alarm = _world_alarm(db, foreign_device)
    db.commit()
    return AccessWorld(
        own_case=own.number,
        neighbour_case=neighbour.number,
        foreign_case=foreign.number,
        own_dispute=own_dispute,
        foreign_dispute=foreign_dispute,
        own_resident=own_resident,
        foreign_resident=foreign_resident,
        own_device=own_device,
        own_device_key=own_device_key,
        foreign_device=foreign_device,
        own_alarm=own_alarm,
        foreign_alarm=foreign_alarm,
        keys=keys,
    )


# --- a broker of our own: Debian's mosquitto on a free loopback port ------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_broker(
    db: Session, folder: Path, *, root: str, frigate: FrigateSource | None = None
) -> LocalBroker:
    """mosquitto with the stored devices' keys (and a Frigate server's account), started as
    the demo starts it; the caller stops it. Without mosquitto the test is skipped, or fails
    under CI."""
    if mosquitto_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("CI requires mosquitto (scripts/system-deps.sh installs it)")
        pytest.skip("mosquitto is not installed")
    return start_local_broker(db, folder, root=root, port=free_port(), frigate=frigate)


def until(check: Callable[[], bool], what: str, seconds: float = 15.0) -> None:
    """Wait for real processes and threads (a broker, a listener) to get somewhere."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


# --- external sources (110, 12345, letters and visits) -------------------------------------

POLICE_HEADINGS = (
    "警情编号",
    "报警时间",
    "警情类别",
    "处置状态",
    "报警人",
    "联系电话",
    "身份证号",
    "简要案情",
    "经度",
    "纬度",
)
POLICE_MAPPING = {
    "columns": {
        "record_id": "警情编号",
        "occurred_at": "报警时间",
        "type": "警情类别",
        "status": "处置状态",
        "lng": "经度",
        "lat": "纬度",
    },
    "classes": {"盗窃": "theft", "噪音扰民": "noise", "纠纷": "neighbour_disputes"},
}
CALLER = "赵六"
CALLER_PHONE = "13912345678"


def police_source(db: Session, name: str = "110-test", **mapping: object) -> ExternalSource:
    """A 110 source of the whole city, saved through the service (and so the change log)."""
    data = SourceIn(kind=SourceKind.POLICE_110, mapping={**POLICE_MAPPING, **mapping})
    source = save_source(db, actor=actor(Role.ADMIN, CITY), name=name, data=data)
    db.commit()
    return source


def police_row(
    record: str, when: str, kind: str, point: tuple[object, object], *, caller: str = CALLER
) -> list[object]:
    """One 110 record as the police system exports it: caller, phone and ID number included."""
    return [
        record,
        when,
        kind,
        "已处置",
        caller,
        CALLER_PHONE,
        id_number(7),
        f"{caller}报警称{kind}",
        point[0],
        point[1],
    ]


SPIKE_MONTH = "2026-11"
SPIKE_CATEGORY = "UM-01-01"  # 暴露垃圾, of the risk class city_appearance
SPIKE_CLASS = "city_appearance"
SPIKE_PER_MONTH = 1
SPIKE_COUNT = 6


FLAT_GRID = f"{OWN_COMMUNITY}002"  # beside the spike, steady all year


def plant_case_spike(db: Session, city: City, engine: Engine, settings: Settings) -> None:
    """A year of rubbish reports through intake: OWN_GRID's run at one a month and jump to
    six in SPIKE_MONTH, the flat grid's stay at one; the worker then archives them and
    stores October's and November's monthly reports, as it does on each first working day."""
    from civicgrid.categories.seeds import seed_builtin  # noqa: PLC0415
    from civicgrid.db import make_session_factory  # noqa: PLC0415
    from civicgrid.worker import analyse  # noqa: PLC0415

    seed_builtin(db)
    resident = actor(Role.RESIDENT)
    for offset in range(13):
        year, month = divmod(2025 * 12 + 10 + offset, 12)
        when = datetime(year, month + 1, 12, 3, tzinfo=UTC)
        for grid in (OWN_GRID, FLAT_GRID):
            spiking = grid == OWN_GRID and offset == 12
            for _ in range(SPIKE_COUNT if spiking else SPIKE_PER_MONTH):
                lng, lat = city.point_in(grid)
                intake = Intake(
                    description="垃圾堆放没人清",
                    channel="resident",
                    lng=lng,
                    lat=lat,
                    category_code=SPIKE_CATEGORY,
                )
                report_case(db, GridIndex(), intake=intake, actor=resident, now=when)
    db.commit()
    sessions = make_session_factory(engine)
    root = settings.effective_archive_dir
    october = analyse(sessions, root=root, today=date(2026, 11, 2), done_for=None)
    analyse(sessions, root=root, today=date(2026, 12, 1), done_for=october)


def write_mbtiles(path: Path, tiles: dict[tuple[int, int, int], str]) -> Path:
    """A raster MBTiles file: each (z, x, y) in the web's numbering gets a one-colour PNG.

    Rows are stored from the south as the MBTiles schema has them (TMS), so a server
    that forgets to flip the row finds another tile, or none.
    """
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER,"
            " tile_row INTEGER, tile_data BLOB);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
        )
        connection.executemany(
            "INSERT INTO metadata VALUES (?, ?)",
            [("name", "test streets"), ("format", "png"), ("type", "baselayer")],
        )
        for (z, x, y), colour in tiles.items():
            picture = io.BytesIO()
            Image.new("RGB", (256, 256), colour).save(picture, format="PNG")
            connection.execute(
                "INSERT INTO tiles VALUES (?, ?, ?, ?)",
                (z, x, (1 << z) - 1 - y, picture.getvalue()),
            )
    connection.close()
    return path


# A small government taxonomy whose categories route to department kinds the demo and
# the test city have (urban management, housing, environment, police).
GOVERNMENT_TAXONOMY = """一级分类,二级分类,三级分类
城乡建设,城市建设和市政管理,路灯照明
城乡建设,城市建设和市政管理,园林绿化环卫
城乡建设,住房保障与房地产,物业管理
环境保护,环境污染,噪声污染
政法,社会治安,治安管理
"""
GOVERNMENT_MUNICIPAL = "城市建设和市政管理"


def write_government_taxonomy(folder: Path) -> Path:
    """The small taxonomy as messages/taxonomy.csv under `folder`, where the demo looks."""
    path = folder / "messages" / "taxonomy.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GOVERNMENT_TAXONOMY, encoding="utf-8")
    return path


def put_government_taxonomy_in_force(db: Session, folder: Path) -> None:
    """The built-in categories, the small government taxonomy imported beside them and put
    alone in force by a city administrator."""
    from civicgrid.categories.government import import_government_taxonomy  # noqa: PLC0415
    from civicgrid.categories.in_force import set_taxonomy_in_force  # noqa: PLC0415
    from civicgrid.categories.seeds import seed_builtin  # noqa: PLC0415

    seed_builtin(db)
    import_government_taxonomy(db, write_government_taxonomy(folder))
    set_taxonomy_in_force(db, actor=CONSOLE, choice="government")
    db.commit()


def archived_event(
    serial: int,
    when: datetime,
    grid: str,
    risk_class: str | None,
    *,
    source: str = "dispute",
    kind: str = "neighbour",
    status: str = "registered",
    h3_cell: str | None = None,
) -> ArchiveEvent:
    """An archive row of an event in `grid`, as the archiver writes one: a registered
    neighbour dispute unless told otherwise."""
    return ArchiveEvent(
        source=source,
        source_id=serial,
        occurred_at=when,
        region_code=grid,
        grid_code=grid,
        risk_class=risk_class,
        category_code=None,
        kind=kind,
        status=status,
        h3_cell=h3_cell,
    )
