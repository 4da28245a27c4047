"""Devices in bulk: an Excel or CSV file of devices registered at once, and the area's export.

The file runs through the registry importer's steps (`registry.importing.service.run_import`):
the same reading of CSV and .xlsx, heading aliases, row report in the reader's
language, placing by point through the grid locator, jurisdiction check and
all-or-nothing rule. What is particular to devices is here: the columns, the
GB/T 28181 code checks against the file and the registry, and the writer, which
gives every new device its key.

The keys are returned once, with the report, for the administrator to hand to
the installers: only their hashes are stored, as for a device registered alone.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind, parse_device_code, require_code_fits
from civicgrid.alarms.device_keys import hash_key, new_key
from civicgrid.alarms.models import Device, DeviceStatus
from civicgrid.alarms.roles import ALARM_READERS, DEVICE_KEEPERS
from civicgrid.alarms.service import log_device_change, snapshot
from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor, in_scope
from civicgrid.auth.service import require_role
from civicgrid.errors import DomainError
from civicgrid.geo.service import GridIndex
from civicgrid.i18n import translate
from civicgrid.registry.cells import cell_coordinate
from civicgrid.registry.export import choice_label
from civicgrid.registry.importing.checks import check_departments
from civicgrid.registry.importing.columns import (
    LAT_RANGE,
    LNG_RANGE,
    Column,
    choice_cell,
    grid_code_cell,
    text_cell,
)
from civicgrid.registry.importing.report import ImportReport, column_label
from civicgrid.registry.importing.rows import Context, Row
from civicgrid.registry.importing.service import Importer, require_table, run_import
from civicgrid.settings import Settings

KIND = "devices"
# A request holds a worker while it imports: a district's devices, not a province's.
MAX_ROWS = 5000
COLUMNS = (
    Column("device_code", text_cell(40), required=True),
    Column("device_kind", choice_cell("device_kind", DeviceKind), required=True),
    Column("device_name", text_cell(120), required=True),
    Column("lng", partial(cell_coordinate, low=LNG_RANGE[0], high=LNG_RANGE[1]), required=True),
    Column("lat", partial(cell_coordinate, low=LAT_RANGE[0], high=LAT_RANGE[1]), required=True),
    Column("address", text_cell(255)),
    Column("department_code", text_cell(40)),
    Column("device_status", choice_cell("device_status", DeviceStatus)),
    # Written by the export so a reader sees the grid; on import the point decides.
    Column("grid_code", grid_code_cell),
)


@dataclass(frozen=True)
class IssuedKey:
    """A key for the installers, given once: the device's code and name tell them where."""

    code: str
    name: str
    address: str
    key: str


@dataclass
class DeviceFile:
    """One import of a device file, keeping the keys its writer issued."""

    actor: Actor
    issued: list[IssuedKey] = field(default_factory=list)

    def importer(self) -> Importer:
        return Importer(
            kind=KIND,
            columns=_columns,
            check=_check_devices,
            write=self._write,
            standard_addresses=False,
        )

    def _write(self, context: Context, rows: list[Row]) -> int:
        """New devices with their keys; each goes to the change log like one registered alone."""
        devices = []
        for row in rows:
            key = new_key()
            device = _device(row, hash_key(key))
            devices.append(device)
            self.issued.append(IssuedKey(device.code, device.name, device.address, key))
        context.db.add_all(devices)
        context.db.flush()
        for device in devices:
            log_device_change(context.db, self.actor, "import", before=None, after=snapshot(device))
        return len(devices)


def _columns(today: date) -> tuple[Column, ...]:
    return COLUMNS


def _device(row: Row, key_hash: str) -> Device:
    values = row.values
    return Device(
        code=values["device_code"],
        kind=values["device_kind"],
        name=values["device_name"],
        lng=values["lng"],
        lat=values["lat"],
        region_code=row.region_code,
        address=values["address"] or "",
        department_id=values["department_id"],
        # Switched off in the file stays off; anything else waits for its first heartbeat.
        status=(
            DeviceStatus.DISABLED.value
            if values["device_status"] == DeviceStatus.DISABLED.value
            else DeviceStatus.OFFLINE.value
        ),
        key_hash=key_hash,
    )


def _check_devices(context: Context, rows: list[Row]) -> None:
    """Each code valid for its kind and place, once in the file, not yet registered;
    each owner department known."""
    for row in rows:
        _check_code(row)
    coded = [row for row in rows if row.ok]
    fresh = [
        row for row in coded if not context.repeated(row, "device_code", row.values["device_code"])
    ]
    codes = [row.values["device_code"] for row in fresh]
    taken = set(context.db.scalars(select(Device.code).where(Device.code.in_(codes))))
    for row in fresh:
        if row.values["device_code"] in taken:
            row.refuse("device_code", "device_code_taken", code=row.values["device_code"])
    check_departments(context, [row for row in rows if row.ok])


def _check_code(row: Row) -> None:
    values = row.values
    try:
        code = parse_device_code(values["device_code"])
        require_code_fits(code, kind=DeviceKind(values["device_kind"]), region_code=row.region_code)
    except DomainError as error:
        row.refuse("device_code", error.code, **error.params)
        return
    values["device_code"] = str(code)


def import_devices(
    db: Session,
    path: Path,
    *,
    actor: Actor,
    settings: Settings,
    grid_index: GridIndex,
    dry_run: bool = False,
) -> tuple[ImportReport, list[IssuedKey]]:
    """Register every device of the file or none; the keys come back only when stored.

    A file that is no table at all (unreadable, an old .xls, no heading row) is
    refused as a whole with the reason, rather than reported as a file of bad rows.
    """
    require_role(actor, DEVICE_KEEPERS)
    upload = DeviceFile(actor)
    report = run_import(
        db,
        path,
        upload.importer(),
        actor=actor,
        settings=settings,
        grid_index=grid_index,
        dry_run=dry_run,
    )
    require_table(report)
    return report, upload.issued if report.imported else []


def export_devices(db: Session, *, actor: Actor, locale: str, target: Path | IO[bytes]) -> int:
    """The actor's area's devices with the import's headings, so the file imports back.

    Whoever may list the area's devices may take them away as a file: it holds
    what the list shows, never a key.
    """
    require_role(actor, ALARM_READERS)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(translate(f"registry_import.kind.{KIND}", locale))
    sheet.append([column_label(column.key, locale) for column in COLUMNS])
    count = 0
    for cells in _export_rows(db, actor, locale):
        sheet.append(cells)
        count += 1
    workbook.save(target)
    return count


def _export_rows(db: Session, actor: Actor, locale: str) -> Iterator[list[object]]:
    query = (
        select(Device, Department.code)
        .outerjoin(Department, Department.id == Device.department_id)
        .where(in_scope(actor, Device.region_code))
        .order_by(Device.code)
    )
    for device, department in db.execute(query):
        yield [
            device.code,
            choice_label("device_kind", device.kind, locale),
            device.name,
            device.lng,
            device.lat,
            device.address,
            department or "",
            choice_label("device_status", device.status, locale),
            device.region_code,
        ]
