"""Frigate's MQTT messages, taken as Frigate publishes them.

Frigate (an open-source NVR with object detection) publishes under its topic
prefix, `frigate` by default:

- `frigate/events`: one message per change of a tracked object (`type` new,
  update or end; `before` and `after` hold the object: `id`, `camera`, `label`,
  `current_zones`, `entered_zones`, `start_time`, `frame_time`, `end_time`,
  `stationary`, `has_snapshot`, and fields we never keep such as `sub_label`
  and `recognized_license_plate`);
- `frigate/reviews`: one message per change of a review item (`after.severity`
  alert or detection, `after.data.objects` and `data.zones`);
- `frigate/<camera>/<label>/snapshot`: JPEG bytes of the best frame of that label.

The camera's name is mapped to a registered device (`Device.frigate_camera`).
Object events feed the scene rules (`alarms.scenes`); a matched scene becomes
an alarm through the ordinary intake, and the latest snapshot of the camera and
label becomes the case's photo. Only the fields named in the models below are
read; everything else in Frigate's payloads, identities included, is ignored
and never stored.
"""

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms import intake, scenes
from civicgrid.alarms.broker import frigate_topic_filters
from civicgrid.alarms.messages import parse_json
from civicgrid.alarms.models import Device
from civicgrid.alarms.service import heard_from
from civicgrid.cases.models import Case
from civicgrid.cases.photos import attach
from civicgrid.errors import DomainError, Invalid, TooLarge, Unauthorized
from civicgrid.geo.service import GridIndex
from civicgrid.photostore import check_image
from civicgrid.settings import get_settings

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "frigate"
EVENTS = "events"
REVIEWS = "reviews"
SNAPSHOT = "snapshot"
CAMERA_NAME = r"^[A-Za-z0-9_\-]{1,64}$"
FRIGATE_ID = r"^[\x21-\x7e]{1,40}$"
ZoneName = str


class FrigateObject(BaseModel):
    """A tracked object as Frigate describes it; only the scene's fields are read."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=FRIGATE_ID)
    camera: str = Field(pattern=CAMERA_NAME)
    label: str = Field(min_length=1, max_length=40)
    start_time: float = Field(ge=0, allow_inf_nan=False)
    frame_time: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    end_time: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    current_zones: list[ZoneName] = Field(default_factory=list, max_length=64)
    entered_zones: list[ZoneName] = Field(default_factory=list, max_length=64)
    stationary: bool = False
    false_positive: bool = False
    has_snapshot: bool = False

    @property
    def seen_at(self) -> float:
        """When Frigate last saw it: the end, the frame, or its start."""
        return self.end_time or self.frame_time or self.start_time


class FrigateEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["new", "update", "end"]
    before: FrigateObject | None = None
    after: FrigateObject


class ReviewData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    objects: list[str] = Field(default_factory=list, max_length=64)
    zones: list[ZoneName] = Field(default_factory=list, max_length=64)


class ReviewItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=FRIGATE_ID)
    camera: str = Field(pattern=CAMERA_NAME)
    severity: Literal["alert", "detection"]
    start_time: float = Field(ge=0, allow_inf_nan=False)
    end_time: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    data: ReviewData = Field(default_factory=ReviewData)


class FrigateReview(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["new", "update", "end"]
    before: ReviewItem | None = None
    after: ReviewItem


@dataclass
class SnapshotCache:
    """The latest JPEG per camera and label, kept briefly for the case a scene opens.

    Frigate publishes snapshots beside its events, not inside them, when it
    first sees an object and when it finds a better frame; a snapshot older than
    `keep` (longer than the scene rules' usual dwell) is taken not to show the
    scene any more and is not attached.
    """

    keep: timedelta = timedelta(minutes=30)
    capacity: int = 256
    _items: OrderedDict[tuple[str, str], tuple[bytes, datetime]] = field(
        default_factory=OrderedDict
    )

    def put(self, camera: str, label: str, data: bytes, now: datetime) -> None:
        self._items[(camera, label)] = (data, now)
        self._items.move_to_end((camera, label))
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def latest(self, camera: str, label: str, now: datetime) -> bytes | None:
        item = self._items.get((camera, label))
        if item is None or now - item[1] > self.keep:
            return None
        return item[0]


@dataclass
class FrigateState:
    """What the listener remembers between Frigate's messages: objects in zones, snapshots."""

    prefix: str = DEFAULT_PREFIX
    tracker: scenes.SceneTracker = field(default_factory=scenes.SceneTracker)
    snapshots: SnapshotCache = field(default_factory=SnapshotCache)

    def owns(self, topic: str) -> bool:
        return topic.startswith(f"{self.prefix}/")

    def topic_filters(self) -> list[str]:
        return frigate_topic_filters(self.prefix)

    def take(
        self,
        db: Session,
        index: GridIndex,
        *,
        topic: str,
        payload: bytes | bytearray,
        now: datetime,
    ) -> str:
        """One Frigate message in; returns what it was. Raises for a message to refuse."""
        channel = topic.removeprefix(f"{self.prefix}/")
        if channel == EVENTS:
            return self._event(db, index, parse_json(payload, FrigateEvent), now)
        if channel == REVIEWS:
            review = parse_json(payload, FrigateReview)
            heard_from(db, camera_device(db, review.after.camera), now)
            return "review"
        camera, _, rest = channel.partition("/")
        label, _, last = rest.partition("/")
        if last != SNAPSHOT or not camera or not label:
            raise Invalid("frigate_topic_unknown", topic=topic)
        return self._snapshot(db, camera, label, bytes(payload), now)

    def _snapshot(self, db: Session, camera: str, label: str, data: bytes, now: datetime) -> str:
        camera_device(db, camera)
        limit = get_settings().photo_max_bytes
        if len(data) > limit:
            raise TooLarge("alarm_message_too_large", size=len(data), limit=limit)
        self.snapshots.put(camera, label, data, now)
        return "snapshot"

    def _event(self, db: Session, index: GridIndex, event: FrigateEvent, now: datetime) -> str:
        device = camera_device(db, event.after.camera)
        heard_from(db, device, now)
        if event.after.false_positive:
            return "frigate_event"
        tracked = self.tracker.observe(event)
        matches = list(self.tracker.matches(scenes.rules_for(db, device), tracked))
        stored = 0
        try:
            for match in matches:
                report = match.report()
                taken = intake.take_alarm(db, index, device=device, report=report, now=now)
                if taken.new and taken.alarm.case_number:
                    self._attach_snapshot(db, device, taken.alarm.case_number, tracked.label, now)
                stored += int(taken.new)
        except Exception:
            # Not stored: the message comes again (or is refused), and may fire then.
            self.tracker.unfire(tracked, [match.rule.id for match in matches])
            raise
        self.tracker.forget_ended(tracked)
        return "scene_alarm" if stored else "frigate_event"

    def _attach_snapshot(
        self, db: Session, device: Device, case_number: str, label: str, now: datetime
    ) -> None:
        """The scene's latest snapshot as the case's photo; a case without room keeps its own."""
        data = self.snapshots.latest(device.frigate_camera or "", label, now)
        case = db.scalar(select(Case).where(Case.number == case_number))
        if data is None or case is None:
            return
        try:
            with db.begin_nested():
                attach(db, case, [check_image(data)], purpose="report", actor_label=device.code)
        except DomainError as refusal:
            log.info("no snapshot of %s on %s: %s", device.code, case_number, refusal.code)


def camera_device(db: Session, camera: str) -> Device:
    """The enabled device registered under this Frigate camera name."""
    device = db.scalar(select(Device).where(Device.frigate_camera == camera))
    if device is None:
        raise Unauthorized("frigate_camera_unknown", camera=camera)
    return intake.require_enabled(device)
