"""Records of field work: taken once, checked, located, flagged, and tied to their task."""

import dataclasses
import hashlib
import json
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.cases import service as cases
from civicgrid.disputes import service as disputes
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.fieldwork import assessment, flags, targets
from civicgrid.fieldwork.assessment import Finding
from civicgrid.fieldwork.models import (
    AssessmentFinding,
    Flag,
    Record,
    RecordPhoto,
    SubjectKind,
    Task,
    TaskType,
)
from civicgrid.fieldwork.roles import READ_ROLES, WORKER_ROLES
from civicgrid.geo.crs import Crs, to_wgs84
from civicgrid.geo.service import GridIndex
from civicgrid.photostore import CheckedImage, decode_base64_photos, store_file
from civicgrid.timeutil import DISPLAY_ZONE, as_utc, utcnow

# A phone's clock may run a little fast; anything further ahead was not done yet.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# Offline phones sync within days; older work belongs in a correction, not a late record.
MAX_RECORD_AGE_DAYS = 7
REGISTRY_SUBJECTS = frozenset({SubjectKind.HOUSEHOLD, SubjectKind.KEY_PLACE, SubjectKind.RESIDENT})
REFERENCE_SUBJECTS = frozenset({SubjectKind.CASE, SubjectKind.DISPUTE})


@dataclasses.dataclass(frozen=True)
class RecordInput:
    """A record as a phone sends it; `occurred_at` is the phone's time (offline sync)."""

    task_type: TaskType
    occurred_at: datetime
    task_id: int | None = None
    lng: float | None = None
    lat: float | None = None
    crs: Crs = Crs.WGS84
    photos: tuple[str, ...] = ()
    note: str = ""
    subject_kind: SubjectKind = SubjectKind.GRID
    subject_id: int | None = None
    subject_ref: str | None = None
    findings: tuple[Finding, ...] = ()
    open_case: bool = False

    def fingerprint(self) -> str:
        body = json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(body.encode()).hexdigest()


def submit_record(
    db: Session,
    index: GridIndex,
    *,
    actor: Actor,
    data: RecordInput,
    client_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Record, bool]:
    """Store one record; returns it and whether it is new. The caller commits.

    The same client key returns the first record (a phone re-sending after a
    lost reply); the same key with a different body is refused. A concurrent
    request with the same key may win the insert: the record is written in a
    savepoint, so losing undoes only this record and answers with the winner's.
    """
    auth_service.require_role(actor, WORKER_ROLES)
    earlier = _earlier(db, actor, client_key, data)
    if earlier is not None:
        return earlier, False
    now = now or utcnow()
    occurred_at = _require_plausible_time(data.occurred_at, now)
    _require_consistent(db, actor, data)
    task = _requested_task(db, actor, data)
    images = decode_base64_photos(data.photos)
    case_number = _case_for(db, index, actor, data, client_key)
    record = _record(db, actor, data, occurred_at=occurred_at, now=now, client_key=client_key)
    record.case_number = case_number
    savepoint = db.begin_nested()
    try:
        db.add(record)
        db.flush()
    except IntegrityError:
        savepoint.rollback()
        return _replayed(db, actor, client_key, data), False
    _attach(db, record, data, images)
    _complete_task(db, record, task)
    savepoint.commit()
    return record, True


def _earlier(db: Session, actor: Actor, client_key: str | None, data: RecordInput) -> Record | None:
    if client_key is None:
        return None
    found = db.scalar(
        select(Record).where(Record.worker_id == actor.user_id, Record.client_key == client_key)
    )
    if found is not None and found.fingerprint != data.fingerprint():
        raise Invalid("fieldwork_key_reused")
    return found


def _replayed(db: Session, actor: Actor, client_key: str | None, data: RecordInput) -> Record:
    """A concurrent request with the same key won the insert; answer with its record."""
    found = _earlier(db, actor, client_key, data)
    if found is None:
        raise Conflict("fieldwork_record_busy")
    return found


def _require_plausible_time(occurred_at: datetime, now: datetime) -> datetime:
    """Phones without a time zone send local (Asia/Shanghai) time."""
    moment = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=DISPLAY_ZONE)
    if moment > now + MAX_CLOCK_SKEW:
        raise Invalid("fieldwork_time_in_future")
    if moment < now - timedelta(days=MAX_RECORD_AGE_DAYS):
        raise Invalid("fieldwork_time_too_old", days=MAX_RECORD_AGE_DAYS)
    return as_utc(moment)


def _require_consistent(db: Session, actor: Actor, data: RecordInput) -> None:
    if (data.lng is None) != (data.lat is None):
        raise Invalid("fieldwork_point_incomplete")
    _require_subject(db, actor, data)
    if data.findings and data.task_type is not TaskType.HOUSEHOLD_VISIT:
        raise Invalid("fieldwork_assessment_only_on_visits")
    if data.findings and data.subject_kind is not SubjectKind.HOUSEHOLD:
        raise Invalid("fieldwork_assessment_needs_household")
    if len({finding.item for finding in data.findings}) != len(data.findings):
        raise Invalid("fieldwork_assessment_item_twice")
    if data.open_case and not assessment.hazards(data.findings):
        raise Invalid("fieldwork_open_case_without_hazard")


def _require_subject(db: Session, actor: Actor, data: RecordInput) -> None:
    kind = data.subject_kind
    if kind in REGISTRY_SUBJECTS:
        if data.subject_id is None:
            raise Invalid("fieldwork_subject_id_required", kind=kind.value)
        targets.require_subject(db, actor, kind, data.subject_id)
    elif kind in REFERENCE_SUBJECTS:
        if not data.subject_ref:
            raise Invalid("fieldwork_subject_ref_required", kind=kind.value)
        if kind is SubjectKind.CASE:
            cases.visible_case(db, actor, data.subject_ref)
        else:
            disputes.visible_dispute(db, actor, data.subject_ref)
    elif data.subject_id is not None or data.subject_ref:
        raise Invalid("fieldwork_subject_kind_required")


def _requested_task(db: Session, actor: Actor, data: RecordInput) -> Task | None:
    if data.task_id is None:
        return None
    task = db.scalar(select(Task).where(Task.id == data.task_id, Task.worker_id == actor.user_id))
    if task is None:
        raise NotFound("fieldwork_task_not_found", id=data.task_id)
    if task.task_type != data.task_type.value:
        raise Invalid("fieldwork_task_type_mismatch", expected=task.task_type)
    if task.record_id is not None:
        raise Conflict("fieldwork_task_done", id=task.id)
    return task


def _case_for(
    db: Session, index: GridIndex, actor: Actor, data: RecordInput, client_key: str | None
) -> str | None:
    """Open the visit's case first: intake commits its own transaction."""
    if not data.open_case or data.subject_id is None:
        return None
    point = _wgs84(data)
    request = assessment.CaseRequest(
        place=targets.household_place(db, actor, data.subject_id),
        findings=data.findings,
        lng=point[0] if point else None,
        lat=point[1] if point else None,
        photos=data.photos,
        idempotency_key=f"fieldwork-{actor.user_id}-{client_key}" if client_key else None,
    )
    return assessment.open_case(db, index, actor=actor, request=request)


def _wgs84(data: RecordInput) -> tuple[float, float] | None:
    if data.lng is None or data.lat is None:
        return None
    lng, lat = to_wgs84(data.lng, data.lat, data.crs)
    return float(lng), float(lat)


def _record(
    db: Session,
    actor: Actor,
    data: RecordInput,
    *,
    occurred_at: datetime,
    now: datetime,
    client_key: str | None,
) -> Record:
    area_code = actor.scope_code or ""
    point = _wgs84(data)
    area = flags.area_of(db, area_code) if point else None
    return Record(
        worker_id=actor.user_id,
        task_type=data.task_type.value,
        occurred_at=occurred_at,
        received_at=now,
        lng=point[0] if point else None,
        lat=point[1] if point else None,
        distance_m=round(flags.distance_m(area, *point), 1) if point and area else None,
        subject_kind=data.subject_kind.value,
        subject_id=data.subject_id,
        subject_ref=data.subject_ref,
        note=data.note.strip(),
        client_key=client_key,
        fingerprint=data.fingerprint(),
        region_code=area_code,
    )


def _attach(db: Session, record: Record, data: RecordInput, images: list[CheckedImage]) -> None:
    """Photos (stored once by content), findings, and the flags the record earns."""
    for image in images:
        store_file(image)
    db.add_all(
        RecordPhoto(record_id=record.id, sha256=image.sha256, content_type=image.content_type)
        for image in images
    )
    db.add_all(
        AssessmentFinding(
            record_id=record.id, item=f.item.value, hazard=f.hazard, note=f.note.strip()
        )
        for f in data.findings
    )
    db.flush()
    flags.flag_record(db, record, [image.sha256 for image in images])


def _complete_task(db: Session, record: Record, task: Task | None) -> None:
    """The named task, else the worker's open task of that type and subject on that day.

    A conditional update, so two records never both complete one task.
    """
    query = update(Task).where(Task.record_id.is_(None)).values(record_id=record.id)
    if task is not None:
        db.execute(query.where(Task.id == task.id))
        return
    day = as_utc(record.occurred_at).astimezone(DISPLAY_ZONE).date()
    match = db.scalar(
        select(Task.id)
        .where(
            Task.worker_id == record.worker_id,
            Task.task_type == record.task_type,
            Task.due_on == day,
            Task.subject_kind == record.subject_kind,
            Task.subject_id == (record.subject_id or 0),
            Task.record_id.is_(None),
        )
        .limit(1)
    )
    if match is not None:
        db.execute(query.where(Task.id == match))


def list_records(db: Session, actor: Actor, *, day: date | None = None) -> list[Record]:
    """A worker's own records; staff see the records of their area."""
    auth_service.require_role(actor, READ_ROLES)
    query = select(Record).where(in_scope(actor, Record.region_code))
    if actor.role is Role.GRID_WORKER:
        query = query.where(Record.worker_id == actor.user_id)
    if day is not None:
        start = datetime.combine(day, datetime.min.time(), DISPLAY_ZONE)
        query = query.where(
            Record.occurred_at >= start, Record.occurred_at < start + timedelta(days=1)
        )
    return list(db.scalars(query.order_by(Record.occurred_at.desc(), Record.id.desc()).limit(500)))


def findings_of(db: Session, record_id: int) -> list[AssessmentFinding]:
    return list(
        db.scalars(select(AssessmentFinding).where(AssessmentFinding.record_id == record_id))
    )


def photo_hashes_of(db: Session, record_id: int) -> list[str]:
    return list(db.scalars(select(RecordPhoto.sha256).where(RecordPhoto.record_id == record_id)))


def flag_kinds_of(db: Session, record_id: int) -> list[str]:
    return list(db.scalars(select(Flag.kind).where(Flag.record_id == record_id).order_by(Flag.id)))


def task_of(db: Session, record_id: int) -> int | None:
    return db.scalar(select(Task.id).where(Task.record_id == record_id))
