"""The cameras around a case, nearest first: what the dispatcher looks through first.

The case is found through the case reading rule (`cases.access.readable`, which holds
the jurisdiction filter) and the cameras through the device jurisdiction filter, so
neither a case the caller may not read nor a camera outside their area is ever named.
"""

import math
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.models import Device, DeviceStatus
from civicgrid.alarms.roles import CAMERA_VIEWERS
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.auth.service import require_role
from civicgrid.cases.access import readable
from civicgrid.cases.models import Case
from civicgrid.errors import NotFound
from civicgrid.geo.distance import great_circle_m

# A degree of latitude is about this long; a degree of longitude shrinks with its cosine.
METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class NearCamera:
    device: Device
    distance_m: float


def cameras_near_case(
    db: Session, actor: Actor, number: str, *, radius_m: float
) -> list[NearCamera]:
    """Cameras of the caller's area within `radius_m` of the case's point, nearest first.

    A switched-off camera is left out; an offline one stays, with its status, since its
    picture may come back. A case without a point has no cameras near it.
    """
    require_role(actor, CAMERA_VIEWERS)
    case = db.scalar(select(Case).where(Case.number == number.strip(), readable(actor)))
    if case is None:
        raise NotFound("case_not_found", number=number)
    if case.lng is None or case.lat is None:
        return []
    found = []
    for device in db.scalars(
        select(Device).where(
            Device.kind == DeviceKind.CAMERA.value,
            Device.status != DeviceStatus.DISABLED.value,
            in_scope(actor, Device.region_code),
            _box(case.lng, case.lat, radius_m),
        )
    ):
        metres = great_circle_m(case.lng, case.lat, device.lng, device.lat)
        if metres <= radius_m:
            found.append(NearCamera(device, round(metres, 1)))
    return sorted(found, key=lambda near: (near.distance_m, near.device.code))


def _box(lng: float, lat: float, radius_m: float) -> ColumnElement[bool]:
    """A box a little larger than the circle, for the (lng, lat) index."""
    dlat = radius_m / METRES_PER_DEGREE_LAT * 1.01
    dlng = dlat / max(math.cos(math.radians(lat)), 0.01)
    return and_(
        Device.lng.between(lng - dlng, lng + dlng), Device.lat.between(lat - dlat, lat + dlat)
    )
