"""HTTP routes of devices (staff, in their jurisdiction) and alarms (posted by devices)."""

import io
from pathlib import PurePath
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)

from civicgrid.alarms import device_files, handling, health, intake, nearby, rules, service
from civicgrid.alarms.models import Device
from civicgrid.alarms.roles import DEVICE_KEEPERS
from civicgrid.alarms.schemas import (
    AlarmBatchIn,
    AlarmFilterIn,
    AlarmOut,
    AlarmRuleIn,
    AlarmRuleOut,
    DeviceChangesIn,
    DeviceFilterIn,
    DeviceImportOut,
    DeviceIn,
    DeviceKeyOut,
    DeviceOut,
    DismissIn,
    DistrictHealthOut,
    FlaggedDeviceOut,
    NearCameraOut,
    TakenOut,
)
from civicgrid.alarms.sos import SOS_TYPE
from civicgrid.alarms.streams import allowed_origins
from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.auth.service import require_role
from civicgrid.cases.live import hub_of
from civicgrid.db import MAX_SQL_INTEGER
from civicgrid.downloads import attachment
from civicgrid.errors import Invalid, Unauthorized
from civicgrid.registry.import_api import require_interactive_size
from civicgrid.registry.importing.files import CSV_SUFFIXES, XLSX_SUFFIXES
from civicgrid.settings import Settings
from civicgrid.timeutil import utcnow
from civicgrid.uploads import saved_upload

devices_router = APIRouter(prefix="/api/v1/devices", tags=["alarms"])
alarms_router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"])
cameras_router = APIRouter(prefix="/api/v1/cases", tags=["alarms"])


def get_device(
    db: DbSession,
    code: Annotated[str | None, Header(alias="X-Device-Code", max_length=40)] = None,
    key: Annotated[str | None, Header(alias="X-Device-Key", max_length=200)] = None,
) -> Device:
    """The device posting: its code and its own key, never a user's session or an API key."""
    if not code or not key:
        raise Unauthorized("device_key_required")
    return intake.authenticate_device(db, code=code, key=key)


CurrentDevice = Annotated[Device, Depends(get_device)]
DeviceCode = Annotated[str, Path(max_length=40)]
AlarmId = Annotated[int, Path(ge=1, le=MAX_SQL_INTEGER)]
CaseNumber = Annotated[str, Path(max_length=40)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _false_alarm_terms(request: Request) -> health.FalseAlarmTerms:
    settings = _settings(request)
    return health.FalseAlarmTerms(limit=settings.false_alarm_limit, days=settings.false_alarm_days)


# A district's devices fit in a few hundred kilobytes; a bigger upload is not a device list.
MAX_IMPORT_BYTES = 8 * 1024 * 1024


@devices_router.post("", response_model=DeviceKeyOut, status_code=status.HTTP_201_CREATED)
def post_device(
    body: DeviceIn, request: Request, db: DbSession, actor: CurrentActor
) -> DeviceKeyOut:
    device, key = service.register_device(
        db,
        actor,
        grid_index=request.app.state.grid_index,
        data=body.data(),
        stream_origins=allowed_origins(_settings(request).stream_origins),
    )
    db.commit()
    return DeviceKeyOut.of(device, key)


@devices_router.get("", response_model=list[DeviceOut])
def get_devices(
    response: Response,
    db: DbSession,
    actor: CurrentActor,
    asked: Annotated[DeviceFilterIn, Query()],
) -> list[DeviceOut]:
    """The area's devices by code (`status=offline` lists the silent ones); X-Total-Count."""
    query = service.DeviceQuery(
        status=asked.status, kind=asked.kind, limit=asked.limit, offset=asked.offset
    )
    devices, total = service.list_devices(db, actor, query)
    response.headers["X-Total-Count"] = str(total)
    return [DeviceOut.model_validate(device) for device in devices]


@devices_router.post("/import", response_model=DeviceImportOut)
def post_device_import(
    *,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    locale: Locale,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False,
) -> DeviceImportOut:
    """A file of devices registered all at once or not at all; 200 with the row report either
    way, with the new devices' keys when stored. A file that is no table is a 422."""
    require_role(actor, DEVICE_KEEPERS)
    # An old .xls goes on to the reader, which says how to save it as .xlsx.
    suffixes = XLSX_SUFFIXES | CSV_SUFFIXES | {".xls"}
    if PurePath(file.filename or "").suffix.lower() not in suffixes:
        raise Invalid("device_import_format")
    with saved_upload(file, suffixes=suffixes, max_bytes=MAX_IMPORT_BYTES) as path:
        require_interactive_size(path, device_files.MAX_ROWS, "device_import_too_many_rows")
        report, keys = device_files.import_devices(
            db,
            path,
            actor=actor,
            settings=request.app.state.settings,
            grid_index=request.app.state.grid_index,
            dry_run=dry_run,
        )
    db.commit()
    return DeviceImportOut.of_import(report, keys, locale)


@devices_router.get("/export.xlsx", response_class=Response)
def get_device_export(db: DbSession, actor: CurrentActor, locale: Locale) -> Response:
    """The caller's area's devices as a workbook that imports back; never a key."""
    buffer = io.BytesIO()
    device_files.export_devices(db, actor=actor, locale=locale, target=buffer)
    return attachment(buffer.getvalue(), "devices.xlsx")


@devices_router.post("/heartbeat", status_code=status.HTTP_204_NO_CONTENT)
def post_heartbeat(db: DbSession, device: CurrentDevice) -> Response:
    """A device says it is alive (authenticated by its key, like an alarm)."""
    service.heard_from(db, device, utcnow())
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@devices_router.get("/health", response_model=list[DistrictHealthOut])
def get_device_health(
    request: Request, db: DbSession, actor: CurrentActor
) -> list[DistrictHealthOut]:
    """Per district of the caller's area: devices online, offline, switched off, and faulty."""
    found = health.health_by_district(db, actor, _false_alarm_terms(request))
    return [DistrictHealthOut.of(district) for district in found]


@devices_router.get("/flagged", response_model=list[FlaggedDeviceOut])
def get_flagged_devices(
    request: Request, db: DbSession, actor: CurrentActor
) -> list[FlaggedDeviceOut]:
    """Devices with too many false alarms lately (a department handler: its department's)."""
    found = health.flagged_devices(db, actor, _false_alarm_terms(request))
    return [
        FlaggedDeviceOut(**DeviceOut.model_validate(device).model_dump(), false_alarms=count)
        for device, count in found
    ]


@devices_router.get("/{code}", response_model=DeviceOut)
def get_device_by_code(code: DeviceCode, db: DbSession, actor: CurrentActor) -> DeviceOut:
    return DeviceOut.model_validate(service.visible_device(db, actor, code))


@devices_router.patch("/{code}", response_model=DeviceOut)
def patch_device(
    code: DeviceCode, body: DeviceChangesIn, request: Request, db: DbSession, actor: CurrentActor
) -> DeviceOut:
    device = service.update_device(
        db,
        actor,
        grid_index=request.app.state.grid_index,
        code=code,
        changes=body.changes(),
        stream_origins=allowed_origins(_settings(request).stream_origins),
    )
    db.commit()
    return DeviceOut.model_validate(device)


@devices_router.delete("/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_device(code: DeviceCode, db: DbSession, actor: CurrentActor) -> Response:
    service.delete_device(db, actor, code)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@devices_router.post("/{code}/key", response_model=DeviceKeyOut)
def post_device_key(code: DeviceCode, db: DbSession, actor: CurrentActor) -> DeviceKeyOut:
    """A new key for the device; the old one stops working."""
    device, key = service.rotate_key(db, actor, code)
    db.commit()
    return DeviceKeyOut.of(device, key)


@alarms_router.post("", response_model=list[TakenOut])
def post_alarms(
    body: AlarmBatchIn, request: Request, db: DbSession, device: CurrentDevice
) -> list[TakenOut]:
    """A device's alarms, each stored once by its event id; a replay returns the first answer.

    Each alarm is committed before the next is taken, so an alarm answered as
    stored stays stored whatever befalls a later one.
    """
    reports = [item.report() for item in body.alarms]
    intake.require_known_types(reports)
    results = []
    for report in reports:
        taken = intake.take_alarm(db, request.app.state.grid_index, device=device, report=report)
        db.commit()
        results.append(
            TakenOut(**AlarmOut.of(taken.alarm, device.code).model_dump(), new=taken.new)
        )
    if any(item.new and item.type == SOS_TYPE for item in results):
        hub_of(request).wake()
    return results


@alarms_router.get("", response_model=list[AlarmOut])
def get_alarms(
    response: Response,
    db: DbSession,
    actor: CurrentActor,
    asked: Annotated[AlarmFilterIn, Query()],
) -> list[AlarmOut]:
    """The area's alarms, newest first; X-Total-Count gives the full count.

    `case_number` lists the alarms one case gathered (the desk's case panel asks so).
    """
    query = service.AlarmQuery(
        device_code=asked.device,
        alarm_type=asked.type,
        since=asked.since,
        case_number=asked.case_number,
        limit=asked.limit,
        offset=asked.offset,
    )
    found, total = service.list_alarms(db, actor, query)
    response.headers["X-Total-Count"] = str(total)
    return [AlarmOut.of(alarm, code, gathered) for alarm, code, gathered in found]


@alarms_router.get("/rules", response_model=list[AlarmRuleOut])
def get_alarm_rules(db: DbSession, actor: CurrentActor) -> list[AlarmRuleOut]:
    """Every alarm type's rule in force (the city's own, else the built-in one)."""
    return [AlarmRuleOut.of(rule) for rule in rules.list_rules(db, actor)]


@alarms_router.put("/rules/{alarm_type}", response_model=AlarmRuleOut)
def put_alarm_rule(
    alarm_type: Annotated[str, Path(max_length=40)],
    body: AlarmRuleIn,
    db: DbSession,
    actor: CurrentActor,
) -> AlarmRuleOut:
    """A city administrator sets a type's rule; the next alarm of the type follows it."""
    rule = rules.change_rule(db, actor, alarm_type, body.change())
    db.commit()
    return AlarmRuleOut.of(rule)


@alarms_router.post("/{alarm_id}/acknowledge", response_model=AlarmOut)
def post_acknowledge(alarm_id: AlarmId, db: DbSession, actor: CurrentActor) -> AlarmOut:
    """Someone on duty has seen the alarm."""
    alarm, code = handling.acknowledge(db, actor, alarm_id)
    db.commit()
    return AlarmOut.of(alarm, code)


@alarms_router.post("/{alarm_id}/dismiss", response_model=AlarmOut)
def post_dismiss(
    alarm_id: AlarmId, body: DismissIn, db: DbSession, actor: CurrentActor
) -> AlarmOut:
    """A false alarm, with the reason; its case (if any) stays for the dispatcher to decide."""
    alarm, code = handling.dismiss(db, actor, alarm_id, reason=body.reason, note=body.note)
    db.commit()
    return AlarmOut.of(alarm, code)


@cameras_router.get("/{number}/cameras", response_model=list[NearCameraOut])
def get_cameras_near_case(
    number: CaseNumber, request: Request, db: DbSession, actor: CurrentActor
) -> list[NearCameraOut]:
    """The caller's area's cameras within the configured radius of a case they may read."""
    found = nearby.cameras_near_case(db, actor, number, radius_m=_settings(request).camera_radius_m)
    return [NearCameraOut.of(near) for near in found]
