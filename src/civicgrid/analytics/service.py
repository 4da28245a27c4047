"""Evaluation figures (考核指标) of the case loop, counted and grouped by the database.

Every figure is about one cohort: the cases reported in the period inside the
asker's jurisdiction, followed up to now. A past month's figures therefore
settle as its cases finish instead of shifting with next month's work.
docs/indicators.md defines each figure, rate and the composite score.
"""

import re
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, or_, select
from sqlalchemy.orm import Session

from civicgrid.analytics.roles import INDICATOR_VIEWERS
from civicgrid.auth.models import Department, Role
from civicgrid.auth.scope import Actor, within
from civicgrid.auth.service import require_role
from civicgrid.cases.access import readable
from civicgrid.cases.models import Case, CaseAction, CaseFeedback
from civicgrid.cases.states import CLOSED, Status
from civicgrid.divisions import significant_prefix
from civicgrid.errors import Forbidden, Invalid
from civicgrid.geo.models import Region
from civicgrid.geo.service import visible_region
from civicgrid.timeutil import DISPLAY_ZONE, utcnow


class Grouping(StrEnum):
    DEPARTMENT = "department"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


CODE_LENGTH = {Grouping.DISTRICT: 6, Grouping.STREET: 9, Grouping.COMMUNITY: 12, Grouping.GRID: 15}
MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
SATISFIED_FROM = 4
# Weights of the composite score; a rate without data drops out and the rest are rescaled.
SCORE_WEIGHTS = {
    "on_time_dispatch_rate": 0.2,
    "on_time_handling_rate": 0.3,
    "closure_rate": 0.2,
    "satisfaction_rate": 0.2,
    "first_time_rate": 0.1,
}
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Period:
    """Whole local days, both ends included."""

    start: date
    end: date

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Midnights in the city's own zone: a day is the day its people lived."""
        first = datetime.combine(self.start, time(), DISPLAY_ZONE)
        after = datetime.combine(self.end + timedelta(days=1), time(), DISPLAY_ZONE)
        return first.astimezone(UTC), after.astimezone(UTC)


def require_period(start: date, end: date) -> Period:
    if end < start:
        raise Invalid("indicator_period_reversed", start=start.isoformat(), end=end.isoformat())
    days = (end - start).days + 1
    if days > MAX_PERIOD_DAYS:
        raise Invalid("indicator_period_too_long", days=days, maximum=MAX_PERIOD_DAYS)
    return Period(start, end)


def parse_day(raw: str, field: str) -> date:
    """Only YYYY-MM-DD: the other ISO spellings are too easy to get wrong in a query string."""
    text = raw.strip()
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid("indicator_date_invalid", field=field, value=raw) from None


def parse_period(raw_from: str | None, raw_to: str | None, *, today: date) -> Period:
    """The period a query string asks for; by default the 30 days up to today."""
    end = parse_day(raw_to, "to") if raw_to else today
    start = (
        parse_day(raw_from, "from") if raw_from else end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    )
    return require_period(start, end)


def local_today() -> date:
    return utcnow().astimezone(DISPLAY_ZONE).date()


@dataclass(frozen=True)
class Counts:
    """The additive figures of one group: a total is the sum of its groups."""

    received: int = 0
    rejected: int = 0
    merged: int = 0
    closed: int = 0
    overdue: int = 0
    dispatched: int = 0
    dispatched_on_time: int = 0
    handled: int = 0
    handled_on_time: int = 0
    returned: int = 0
    reworked: int = 0
    rated: int = 0
    satisfied: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def closable(self) -> int:
        """Cases that should end closed: rejected and merged ones never will."""
        return self.received - self.rejected - self.merged

    @property
    def on_time_dispatch_rate(self) -> float | None:
        return _ratio(self.dispatched_on_time, self.dispatched)

    @property
    def on_time_handling_rate(self) -> float | None:
        return _ratio(self.handled_on_time, self.handled)

    @property
    def closure_rate(self) -> float | None:
        return _ratio(self.closed, self.closable)

    @property
    def rework_rate(self) -> float | None:
        return _ratio(self.reworked, self.handled)

    @property
    def satisfaction_rate(self) -> float | None:
        return _ratio(self.satisfied, self.rated)

    @property
    def score(self) -> float | None:
        """A weighted mean of the rates on 0-100; rework counts as its complement."""
        rework = self.rework_rate
        rates = {
            "on_time_dispatch_rate": self.on_time_dispatch_rate,
            "on_time_handling_rate": self.on_time_handling_rate,
            "closure_rate": self.closure_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "first_time_rate": None if rework is None else max(0.0, 1.0 - rework),
        }
        known = {name: rate for name, rate in rates.items() if rate is not None}
        if not known:
            return None
        weight = sum(SCORE_WEIGHTS[name] for name in known)
        return 100 * sum(SCORE_WEIGHTS[name] * rate for name, rate in known.items()) / weight


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None


@dataclass(frozen=True)
class IndicatorRow:
    """One group: a region (its code and name) or a department (its code and name).

    `key` is None for cases no department holds yet.
    """

    key: str | None
    name: str | None
    counts: Counts


@dataclass(frozen=True)
class IndicatorReport:
    """The groups of one query and what they add up to."""

    period: Period
    grouping: Grouping
    region_code: str | None
    rows: list[IndicatorRow]

    @property
    def total(self) -> Counts:
        summed = Counts()
        for row in self.rows:
            summed = summed + row.counts
        return summed


def report(
    db: Session,
    actor: Actor,
    *,
    period: Period,
    group_by: Grouping | str,
    region_code: str | None = None,
    now: datetime | None = None,
) -> IndicatorReport:
    grouping = _grouping(group_by)
    rows = indicators(
        db,
        actor,
        period_start=period.start,
        period_end=period.end,
        group_by=grouping,
        region_code=region_code,
        now=now,
    )
    return IndicatorReport(period, grouping, region_code, rows)


def indicators(
    db: Session,
    actor: Actor,
    *,
    period_start: date,
    period_end: date,
    group_by: Grouping | str,
    region_code: str | None = None,
    now: datetime | None = None,
) -> list[IndicatorRow]:
    """The figures of every group that has cases in the period, in code order."""
    period = require_period(period_start, period_end)
    grouping = _grouping(group_by)
    cohort = _cohort(db, actor, period, region_code)
    key = _key(grouping)
    labelled = _case_counts(db, grouping, key, cohort, now or utcnow())
    extra = _merge(_action_counts(db, key, cohort), _rating_counts(db, key, cohort))
    rows = [
        IndicatorRow(code, name, counts + extra.get(group, Counts()))
        for group, (code, name, counts) in labelled.items()
    ]
    return sorted(rows, key=lambda row: (row.key is None, row.key or ""))


def _grouping(group_by: Grouping | str) -> Grouping:
    try:
        return Grouping(group_by)
    except ValueError:
        choices = ", ".join(grouping.value for grouping in Grouping)
        raise Invalid("indicator_group_unknown", group=group_by, choices=choices) from None


def _cohort(
    db: Session, actor: Actor, period: Period, region_code: str | None
) -> list[ColumnElement[bool]]:
    """Cases reported in the period that the actor may count."""
    require_role(actor, INDICATOR_VIEWERS)
    first, after = period.utc_bounds()
    conditions = [
        readable(actor),
        Case.created_at >= first,
        Case.created_at < after,
    ]
    if actor.role is Role.DEPARTMENT_HANDLER:
        # A department is judged on what it holds, not on its whole region's work.
        if actor.department_id is None:
            raise Forbidden("indicators_no_department")
        conditions.append(Case.department_id == actor.department_id)
    if region_code:
        region = visible_region(db, actor, region_code)
        conditions.append(within(Case.region_code, significant_prefix(region.code)))
    return conditions


def _key(grouping: Grouping) -> ColumnElement[Any]:
    """The group of a case, computed in SQL.

    A case located no finer than the level asked for (an unlocated case waits
    at its city) keeps its own shorter code, so it forms a group of its own.
    Lengths are literals: PostgreSQL would see two bound parameters in SELECT
    and GROUP BY as two different expressions.
    """
    if grouping is Grouping.DEPARTMENT:
        return Case.department_id.expression
    length: ColumnElement[Any] = literal_column(str(CODE_LENGTH[grouping]))
    return func.substr(Case.region_code, literal_column("1"), length)


def _case_counts(
    db: Session,
    grouping: Grouping,
    key: ColumnElement[Any],
    cohort: list[ColumnElement[bool]],
    now: datetime,
) -> dict[Any, tuple[str | None, str | None, Counts]]:
    overdue = Case.stage.is_not(None) & (Case.stage_due_at < now)
    query: Select[Any] = select(
        key.label("key"),
        func.count().label("received"),
        func.count().filter(Case.status == Status.REJECTED.value).label("rejected"),
        func.count().filter(Case.status == Status.MERGED.value).label("merged"),
        func.count().filter(Case.status.in_([status.value for status in CLOSED])).label("closed"),
        func.count().filter(overdue).label("overdue"),
    ).where(*cohort)
    query = _with_labels(query, grouping, key)
    found: dict[Any, tuple[str | None, str | None, Counts]] = {}
    for row in db.execute(query).mappings():
        code = row["code"] if grouping is Grouping.DEPARTMENT else row["key"]
        counts = Counts(**{name: row[name] for name in _CASE_FIGURES})
        found[row["key"]] = (code, row["name"], counts)
    return found


_CASE_FIGURES = ("received", "rejected", "merged", "closed", "overdue")


def _with_labels(query: Select[Any], grouping: Grouping, key: ColumnElement[Any]) -> Select[Any]:
    """Name each group in the same query: a department by its code and name, a region by name."""
    if grouping is Grouping.DEPARTMENT:
        return (
            query.add_columns(Department.code.label("code"), Department.name.label("name"))
            .outerjoin(Department, Department.id == Case.department_id)
            .group_by(key, Department.code, Department.name)
        )
    return (
        query.add_columns(Region.name.label("name"))
        .outerjoin(Region, Region.code == key)
        .group_by(key, Region.name)
    )


def _action_counts(
    db: Session, key: ColumnElement[Any], cohort: list[ColumnElement[bool]]
) -> dict[Any, Counts]:
    """Steps of the cohort's histories; a step is on time when its stage's deadline held."""
    on_time = or_(
        CaseAction.stage_due_at.is_(None), CaseAction.created_at <= CaseAction.stage_due_at
    )
    into = CaseAction.to_status
    query = (
        select(
            key.label("key"),
            func.count().filter(into == Status.DISPATCHED.value).label("dispatched"),
            func.count()
            .filter(into == Status.DISPATCHED.value, on_time)
            .label("dispatched_on_time"),
            func.count().filter(into == Status.RESOLVED.value).label("handled"),
            func.count().filter(into == Status.RESOLVED.value, on_time).label("handled_on_time"),
            func.count().filter(into == Status.RETURNED.value).label("returned"),
            func.count().filter(into == Status.REOPENED.value).label("reworked"),
        )
        .select_from(CaseAction)
        .join(Case, Case.id == CaseAction.case_id)
        .where(*cohort)
        .group_by(key)
    )
    return _by_key(db, query)


def _rating_counts(
    db: Session, key: ColumnElement[Any], cohort: list[ColumnElement[bool]]
) -> dict[Any, Counts]:
    query = (
        select(
            key.label("key"),
            func.count().label("rated"),
            func.count().filter(CaseFeedback.rating >= SATISFIED_FROM).label("satisfied"),
        )
        .select_from(CaseFeedback)
        .join(Case, Case.id == CaseFeedback.case_id)
        .where(*cohort, CaseFeedback.kind == "rating", CaseFeedback.rating.is_not(None))
        .group_by(key)
    )
    return _by_key(db, query)


def _by_key(db: Session, query: Select[Any]) -> dict[Any, Counts]:
    found: dict[Any, Counts] = {}
    for row in db.execute(query).mappings():
        found[row["key"]] = Counts(**{name: value for name, value in row.items() if name != "key"})
    return found


def _merge(*parts: dict[Any, Counts]) -> dict[Any, Counts]:
    merged: dict[Any, Counts] = {}
    for part in parts:
        for key, counts in part.items():
            merged[key] = merged.get(key, Counts()) + counts
    return merged
