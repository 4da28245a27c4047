"""The device registry: devices placed in grids, kept inside the keeper's jurisdiction."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind, parse_device_code, require_code_fits
from civicgrid.alarms.device_keys import hash_key, new_key
from civicgrid.alarms.models import Alarm, AlarmCase, Device, DeviceStatus
from civicgrid.alarms.roles import ALARM_READERS, DEVICE_KEEPERS
from civicgrid.alarms.streams import checked_stream_url
from civicgrid.audit.log import ChangeKind, record_change
from civicgrid.auth import service as auth_service
from civicgrid.auth.scope import Actor, in_scope, may_see
from civicgrid.auth.service import require_role
from civicgrid.divisions import Level
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.geo.crs import Crs
from civicgrid.geo.service import GridIndex, locate
from civicgrid.timeutil import utcnow


@dataclass(frozen=True)
class Spot:
    """Where a device stands, in the coordinate system it was measured in."""

    lng: float
    lat: float
    crs: Crs = Crs.WGS84


@dataclass(frozen=True)
class DeviceInput:
    code: str
    kind: DeviceKind
    name: str
    spot: Spot
    address: str = ""
    department_code: str | None = None
    frigate_camera: str | None = None
    stream_url: str = ""


@dataclass(frozen=True)
class DeviceChanges:
    """What an edit may change; None leaves a field as it is. The code and kind stay."""

    name: str | None = None
    spot: Spot | None = None
    address: str | None = None
    department_code: str | None = None
    enabled: bool | None = None
    # "" clears it: the camera is no longer known to Frigate under any name.
    frigate_camera: str | None = None
    stream_url: str | None = None


@dataclass(frozen=True)
class DeviceQuery:
    status: DeviceStatus | None = None
    kind: DeviceKind | None = None
    limit: int = 100
    offset: int = 0


def register_device(
    db: Session,
    actor: Actor,
    *,
    grid_index: GridIndex,
    data: DeviceInput,
    stream_origins: Collection[str] = (),
) -> tuple[Device, str]:
    """A new device in the grid its point lies in; returns it with its key, shown only now.

    It starts offline: a device is online only once it has been heard from. A stream
    URL must be on one of `stream_origins` (see `alarms.streams`).
    """
    require_role(actor, DEVICE_KEEPERS)
    code = parse_device_code(data.code)
    lng, lat, grid = _place(db, grid_index, actor, data.spot)
    require_code_fits(code, kind=data.kind, region_code=grid)
    key = new_key()
    device = Device(
        code=str(code),
        kind=data.kind.value,
        name=_required_name(data.name),
        lng=lng,
        lat=lat,
        region_code=grid,
        address=data.address.strip(),
        department_id=auth_service.department_id(db, data.department_code),
        status=DeviceStatus.OFFLINE.value,
        key_hash=hash_key(key),
        stream_url=_stream_url(data.kind.value, data.stream_url, stream_origins),
    )
    _require_free_camera_name(db, data.frigate_camera, device)
    device.frigate_camera = data.frigate_camera
    try:
        with db.begin_nested():
            db.add(device)
    except IntegrityError as error:
        raise Conflict("device_code_taken", code=str(code)) from error
    log_device_change(db, actor, "create", before=None, after=snapshot(device))
    return device, key


def _required_name(name: str) -> str:
    if not name.strip():
        raise Invalid("device_name_required")
    return name.strip()


def _place(
    db: Session, grid_index: GridIndex, actor: Actor, spot: Spot
) -> tuple[float, float, str]:
    """The WGS-84 point and its grid; a device outside every grid or the actor's area is refused."""
    placement = locate(db, grid_index, lng=spot.lng, lat=spot.lat, crs=spot.crs.value)
    if not placement.located:
        raise Invalid("device_outside_city", lng=spot.lng, lat=spot.lat)
    grid = placement.regions[Level.GRID].code
    if not may_see(actor, grid):
        raise Forbidden("device_outside_jurisdiction", code=grid)
    return placement.lng, placement.lat, grid


def _stream_url(kind: str, value: str, origins: Collection[str]) -> str | None:
    """Only a camera has a live view; "" clears it."""
    url = checked_stream_url(value, origins)
    if url is not None and kind != DeviceKind.CAMERA.value:
        raise Invalid("stream_url_not_camera")
    return url


def visible_device(db: Session, actor: Actor, code: str) -> Device:
    """A device of the actor's area; one outside it does not exist for them."""
    require_role(actor, ALARM_READERS)
    device = db.scalar(
        select(Device).where(Device.code == code.strip(), in_scope(actor, Device.region_code))
    )
    if device is None:
        raise NotFound("device_not_found", code=code)
    return device


def list_devices(db: Session, actor: Actor, query: DeviceQuery) -> tuple[list[Device], int]:
    """The area's devices by code, a page of them with the full count."""
    require_role(actor, ALARM_READERS)
    conditions = [in_scope(actor, Device.region_code)]
    if query.status is not None:
        conditions.append(Device.status == query.status.value)
    if query.kind is not None:
        conditions.append(Device.kind == query.kind.value)
    total = db.scalar(select(func.count()).select_from(Device).where(*conditions)) or 0
    page = db.scalars(
        select(Device)
        .where(*conditions)
        .order_by(Device.code)
        .limit(query.limit)
        .offset(query.offset)
    )
    return list(page), total


def update_device(
    db: Session,
    actor: Actor,
    *,
    grid_index: GridIndex,
    code: str,
    changes: DeviceChanges,
    stream_origins: Collection[str] = (),
) -> Device:
    """Rename, move, re-own, or switch a device off and on again, inside the keeper's area."""
    require_role(actor, DEVICE_KEEPERS)
    device = visible_device(db, actor, code)
    before = snapshot(device)
    if changes.spot is not None:
        device.lng, device.lat, grid = _place(db, grid_index, actor, changes.spot)
        require_code_fits(
            parse_device_code(device.code), kind=DeviceKind(device.kind), region_code=grid
        )
        device.region_code = grid
    if changes.name is not None:
        device.name = _required_name(changes.name)
    if changes.address is not None:
        device.address = changes.address.strip()
    if changes.department_code is not None:
        device.department_id = auth_service.department_id(db, changes.department_code or None)
    if changes.enabled is not None:
        device.status = _switched(device, enabled=changes.enabled)
    if changes.frigate_camera is not None:
        _require_free_camera_name(db, changes.frigate_camera or None, device)
        device.frigate_camera = changes.frigate_camera or None
    if changes.stream_url is not None:
        device.stream_url = _stream_url(device.kind, changes.stream_url, stream_origins)
    db.flush()
    log_device_change(db, actor, "update", before=before, after=snapshot(device))
    return device


def _require_free_camera_name(db: Session, camera: str | None, device: Device) -> None:
    """One device per Frigate camera name: Frigate's events name the camera, not the device."""
    if camera is None:
        return
    holder = db.scalar(select(Device.code).where(Device.frigate_camera == camera))
    if holder is not None and holder != device.code:
        raise Conflict("frigate_camera_taken", camera=camera, code=holder)


def _switched(device: Device, *, enabled: bool) -> str:
    """Switched back on, a device waits for its next heartbeat to count as online."""
    if not enabled:
        return DeviceStatus.DISABLED.value
    if device.status == DeviceStatus.DISABLED.value:
        return DeviceStatus.OFFLINE.value
    return device.status


def delete_device(db: Session, actor: Actor, code: str) -> None:
    """Only a device that never sent an alarm goes; one with history is disabled instead."""
    require_role(actor, DEVICE_KEEPERS)
    device = visible_device(db, actor, code)
    if db.scalar(select(Alarm.id).where(Alarm.device_id == device.id).limit(1)) is not None:
        raise Conflict("device_has_alarms", code=device.code)
    log_device_change(db, actor, "delete", before=snapshot(device), after=None)
    db.delete(device)
    db.flush()


def rotate_key(db: Session, actor: Actor, code: str) -> tuple[Device, str]:
    """A fresh key; the old one stops working at once (for MQTT, once the broker reloads)."""
    require_role(actor, DEVICE_KEEPERS)
    device = visible_device(db, actor, code)
    key = new_key()
    device.key_hash = hash_key(key)
    db.flush()
    log_device_change(db, actor, "rotate_key", before=None, after=snapshot(device))
    return device, key


def snapshot(device: Device) -> dict[str, Any]:
    """What the change log keeps of a device: never its key, not even hashed."""
    return {
        "code": device.code,
        "kind": device.kind,
        "name": device.name,
        "lng": device.lng,
        "lat": device.lat,
        "region_code": device.region_code,
        "address": device.address,
        "department_id": device.department_id,
        "status": device.status,
        "frigate_camera": device.frigate_camera,
        "stream_url": device.stream_url,
    }


def log_device_change(
    db: Session,
    actor: Actor,
    action: str,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """One entry of the administrators' change log, in the change's own transaction."""
    seen = after or before or {}
    record_change(
        db,
        author=actor,
        kind=ChangeKind.DEVICE,
        action=action,
        target=seen["code"],
        region_code=seen["region_code"],
        before=before,
        after=after,
    )


def heard_from(db: Session, device: Device, now: datetime) -> None:
    """A heartbeat or an alarm: the device is alive now; an offline one comes back online."""
    device.last_heartbeat_at = now
    if device.status == DeviceStatus.OFFLINE.value:
        device.status = DeviceStatus.ONLINE.value
    db.flush()


def mark_offline(db: Session, *, now: datetime | None = None, silence: timedelta) -> list[Device]:
    """Online devices silent for longer than `silence` go offline; returns them.

    One conditional UPDATE: a heartbeat committed meanwhile keeps its device
    online, and two workers running it at once mark each device once (each
    gets the devices it marked, so each outage is reported by one of them).
    """
    cutoff = (now or utcnow()) - silence
    marked = db.scalars(
        update(Device)
        .where(Device.status == DeviceStatus.ONLINE.value, Device.last_heartbeat_at < cutoff)
        .values(status=DeviceStatus.OFFLINE.value)
        .returning(Device.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not marked:
        return []
    return list(db.scalars(select(Device).where(Device.id.in_(marked)).order_by(Device.id)))


@dataclass(frozen=True)
class AlarmQuery:
    device_code: str | None = None
    alarm_type: str | None = None
    since: datetime | None = None
    case_number: str | None = None
    limit: int = 100
    offset: int = 0


def list_alarms(
    db: Session, actor: Actor, query: AlarmQuery
) -> tuple[list[tuple[Alarm, str, int | None]], int]:
    """The area's alarms newest first, each with its device's code and its case's alarm count;
    a page and the full count.

    `since` bounds the time of receipt, the order the list is in, so a panel that
    asks for the last hours gets what it shows.
    """
    require_role(actor, ALARM_READERS)
    conditions = [in_scope(actor, Alarm.region_code)]
    if query.device_code is not None:
        conditions.append(Device.code == query.device_code)
    if query.alarm_type is not None:
        conditions.append(Alarm.alarm_type == query.alarm_type)
    if query.since is not None:
        conditions.append(Alarm.received_at >= query.since)
    if query.case_number is not None:
        conditions.append(Alarm.case_number == query.case_number)
    joined = (
        select(Alarm, Device.code, AlarmCase.alarm_count)
        .join(Device, Device.id == Alarm.device_id)
        .outerjoin(AlarmCase, AlarmCase.case_number == Alarm.case_number)
    )
    total = (
        db.scalar(
            select(func.count())
            .select_from(Alarm)
            .join(Device, Device.id == Alarm.device_id)
            .where(*conditions)
        )
        or 0
    )
    rows = db.execute(
        joined.where(*conditions)
        .order_by(Alarm.received_at.desc(), Alarm.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    return [(alarm, code, gathered) for alarm, code, gathered in rows], total
