"""HTTP routes of the duty roster (值班表) under /api/v1/roster."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from civicgrid.auth.deps import CurrentActor, DbSession, Locale
from civicgrid.auth.service import require_role
from civicgrid.db import RowId
from civicgrid.downloads import attachment
from civicgrid.errors import DomainError, Invalid
from civicgrid.i18n import translate
from civicgrid.roster import excel, service
from civicgrid.roster.roles import ROSTER_KEEPERS
from civicgrid.roster.service import Duty, Shift
from civicgrid.timeutil import utcnow

router = APIRouter(prefix="/api/v1/roster", tags=["duty roster"])


class DutyIn(BaseModel):
    region_code: str = Field(min_length=6, max_length=15, pattern=r"^\d+$")
    day: date
    shift: Shift
    username: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=120)


class DutyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    region_code: str
    region_name: str
    day: date
    shift: str
    shift_label: str
    username: str
    display_name: str
    phone: str | None
    note: str

    @classmethod
    def of(cls, duty: Duty, locale: str) -> "DutyOut":
        row = duty.assignment
        return cls(
            id=row.id,
            region_code=row.region_code,
            region_name=duty.region_name,
            day=row.day,
            shift=row.shift,
            shift_label=translate(f"roster.shift.{row.shift}", locale),
            username=duty.user.username,
            display_name=duty.user.display_name,
            phone=duty.user.phone,
            note=row.note,
        )


class ImportOut(BaseModel):
    stored: int


class PeriodIn(BaseModel):
    """Days to read, both included; without them, the shift running now's day and a week on."""

    start: date | None = None
    end: date | None = None

    def days(self) -> tuple[date, date]:
        return service.period_from(self.start, self.end, at=utcnow())


@router.get("", response_model=list[DutyOut])
def get_roster(
    asked: Annotated[PeriodIn, Query()], db: DbSession, actor: CurrentActor, locale: Locale
) -> list[DutyOut]:
    """The roster of the reader's area between two days (both included)."""
    start, end = asked.days()
    duties = service.list_duties(db, actor, start=start, end=end)
    return [DutyOut.of(duty, locale) for duty in duties]


@router.get("/today", response_model=list[DutyOut])
def get_today(db: DbSession, actor: CurrentActor, locale: Locale) -> list[DutyOut]:
    """Who is on duty in the reader's area for the shift running now."""
    return [DutyOut.of(duty, locale) for duty in service.today(db, actor)]


class PlaceIn(BaseModel):
    region_code: str = Field(min_length=6, max_length=15, pattern=r"^\d+$")
    at: AwareDatetime | None = None


@router.get("/on-duty", response_model=list[DutyOut])
def get_on_duty(
    asked: Annotated[PlaceIn, Query()], db: DbSession, actor: CurrentActor, locale: Locale
) -> list[DutyOut]:
    """Who is on duty for a place (its street's, else district's, else city's centre) at
    `at` (default now): the person an alarm's case names."""
    duties = service.on_duty_for(db, actor, asked.region_code, at=asked.at or utcnow())
    return [DutyOut.of(duty, locale) for duty in duties]


@router.get("/export.xlsx", response_class=Response)
def get_export(
    asked: Annotated[PeriodIn, Query()], db: DbSession, actor: CurrentActor, locale: Locale
) -> Response:
    start, end = asked.days()
    duties = service.list_duties(db, actor, start=start, end=end)
    workbook = excel.export_workbook(duties, locale=locale)
    return attachment(workbook, f"roster-{start}-{end}.xlsx")


@router.post("", response_model=DutyOut, status_code=status.HTTP_201_CREATED)
def post_duty(body: DutyIn, db: DbSession, actor: CurrentActor, locale: Locale) -> DutyOut:
    duty = service.add_duty(db, actor, **body.model_dump())
    db.commit()
    return DutyOut.of(duty, locale)


@router.post("/import", response_model=ImportOut)
def post_import(
    db: DbSession, actor: CurrentActor, locale: Locale, file: Annotated[UploadFile, File()]
) -> ImportOut:
    """All or nothing: the first bad row refuses the whole workbook, naming the row."""
    require_role(actor, ROSTER_KEEPERS)
    rows = excel.read_rows(file.file.read(excel.MAX_WORKBOOK_BYTES + 1))
    for number, day, shift, region, username, note in rows:
        try:
            service.add_duty(
                db, actor, region_code=region, day=day, shift=shift, username=username, note=note
            )
        except DomainError as error:
            db.rollback()
            raise Invalid("duty_import_row", row=number, message=error.message(locale)) from None
    db.commit()
    return ImportOut(stored=len(rows))


@router.delete("/{duty_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_duty(duty_id: RowId, db: DbSession, actor: CurrentActor) -> None:
    service.remove_duty(db, actor, duty_id)
    db.commit()
