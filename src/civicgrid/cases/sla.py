"""SLA clocks: each stage's deadline, and the traffic light.

A category gives each workflow stage a number of hours, counted either as
natural hours or as working hours on China's official calendar (the kernel's
`civicgrid.workcalendar`).

Which stage each status runs, and whether entering it restarts the clock, are
columns of the states table (`cases.states`).
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.cases.models import Case
from civicgrid.cases.states import STATES, Stage, Status, stage_of
from civicgrid.categories.reference import DEFAULT_HOUR_BASIS, DEFAULT_SLA_HOURS
from civicgrid.categories.taxonomy import taxonomy
from civicgrid.divisions import Level, level_of, parent_code
from civicgrid.timeutil import as_utc
from civicgrid.workcalendar import Basis, deadline, elapsed


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


# The clock each status runs, by the status's stored value (from the states table).
STAGE_OF_STATUS: dict[str, Stage | None] = {status.value: stage_of(status) for status in Status}
YELLOW_NUMERATOR, YELLOW_DENOMINATOR = 4, 5  # yellow from 80 % of the allowed time used


def light(started_at: datetime, due_at: datetime, now: datetime, basis: Basis | str) -> Light:
    """Red once overdue; yellow once 80 % of the allowed time is used, counted in `basis`."""
    if as_utc(now) > as_utc(due_at):
        return Light.RED
    allowed = elapsed(started_at, due_at, basis)
    used = elapsed(started_at, now, basis)
    if used * YELLOW_DENOMINATOR >= allowed * YELLOW_NUMERATOR:
        return Light.YELLOW
    return Light.GREEN


def stage_terms(db: Session, category_code: str | None, stage: Stage) -> tuple[float, Basis]:
    """The hours and basis a category allows for a stage, else the platform defaults."""
    category = taxonomy(db).get(category_code) if category_code else None
    if category is None:
        return float(DEFAULT_SLA_HOURS[stage.value]), Basis(DEFAULT_HOUR_BASIS)
    hours = category.sla_hours.get(stage.value, DEFAULT_SLA_HOURS[stage.value])
    return float(hours), Basis(category.hour_basis or DEFAULT_HOUR_BASIS)


def light_for(db: Session, case: Case, now: datetime) -> Light | None:
    """The light of the case's running stage; None when no clock runs (closed, rejected…)."""
    if case.stage is None or case.stage_started_at is None or case.stage_due_at is None:
        return None
    _, basis = stage_terms(db, case.category_code, Stage(case.stage))
    return light(case.stage_started_at, case.stage_due_at, now, basis)


def stage_fields(
    db: Session, case: Case, to_status: str, now: datetime, *, approve: bool | None = None
) -> dict[str, Any]:
    """The Case columns to set as the case enters `to_status` (read before the change).

    A stage keeps its clock while the case moves between statuses of the same
    stage; a new stage starts a new clock. Deciding an extension never
    restarts the clock: approval adds the stage's hours to the running
    deadline, denial leaves it as it was.
    """
    fields = _closing_fields(to_status, now)
    stage = stage_of(to_status)
    if stage is None:
        return {**fields, "stage": None, "stage_started_at": None, "stage_due_at": None}
    if case.status == Status.EXTENSION_REQUESTED and case.stage_due_at is not None:
        return {**fields, **_extension_fields(db, case, stage, case.stage_due_at, approve)}
    if not starts_new_stage(case.stage, to_status):
        return fields
    hours, basis = stage_terms(db, case.category_code, stage)
    start = as_utc(now)
    return {
        **fields,
        "stage": stage.value,
        "stage_started_at": start,
        "stage_due_at": deadline(start, hours, basis),
    }


def _closing_fields(to_status: str, now: datetime) -> dict[str, Any]:
    """A closed case records when; reopening it makes it open again."""
    if to_status == Status.CLOSED:
        return {"closed_at": as_utc(now)}
    if to_status == Status.REOPENED:
        return {"closed_at": None}
    return {}


def starts_new_stage(current_stage: str | None, to_status: str) -> bool:
    """Whether entering `to_status` ends the running stage instance and starts the next."""
    state = STATES[Status(to_status)]
    return current_stage != state.stage or state.restarts_clock


def _extension_fields(
    db: Session, case: Case, stage: Stage, due: datetime, approve: bool | None
) -> dict[str, datetime]:
    if not approve:
        return {}
    hours, basis = stage_terms(db, case.category_code, stage)
    return {"stage_due_at": deadline(due, hours, basis)}


def handling_centre(case: Case) -> str:
    """The centre that holds the case: the one routing named, else the case's street.

    An unlocated case waits at its district or city, which is then its centre.
    """
    if case.handling_region_code:
        return case.handling_region_code
    code = case.region_code
    while level_of(code) in {Level.GRID, Level.COMMUNITY}:
        code = parent_code(code) or code
    return code


def centre_above(case: Case) -> str:
    """The centre one level above the one holding the case (督办 goes there)."""
    centre = handling_centre(case)
    return parent_code(centre) or centre
