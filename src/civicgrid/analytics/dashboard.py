"""The command centre's live picture of one region: what is open, late, new and how it went.

Every figure counts only cases the viewer may read (the one rule,
`cases.access.readable`) and inside the region looked at, so a leader, a street
dispatcher and an outsider looking at the same city see different numbers.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from civicgrid.analytics.roles import DASHBOARD_VIEWERS
from civicgrid.auth.models import Department
from civicgrid.auth.scope import Actor, may_see, within
from civicgrid.auth.service import require_role
from civicgrid.cases.access import readable
from civicgrid.cases.models import Case, CaseAction, CaseFeedback
from civicgrid.cases.states import FINISHED, Status
from civicgrid.categories.taxonomy import get_category
from civicgrid.divisions import LEVEL_ORDER, Level, significant_prefix
from civicgrid.errors import NotFound
from civicgrid.geo.models import Region
from civicgrid.geo.service import visible_region
from civicgrid.timeutil import DISPLAY_ZONE, utcnow

TREND_DAYS = 30
TOP_CATEGORIES = 8
CHILD_CODE_LENGTH = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.GRID: 15}


@dataclass(frozen=True)
class Tally:
    key: str | None
    label: str
    count: int


@dataclass(frozen=True)
class ChildFigures:
    """One region one level down, as the map colours it."""

    code: str
    name: str
    open: int
    overdue: int
    today: int


@dataclass(frozen=True)
class Dashboard:
    region: Region
    child_level: Level | None
    open: int
    overdue: int
    reported_today: int
    closed_today: int
    satisfaction: float | None
    ratings: int
    by_channel_today: list[Tally]
    top_categories: list[Tally]
    overdue_by_department: list[Tally]
    trend: list[tuple[date, int, int]]
    children: list[ChildFigures]


@dataclass(frozen=True)
class Frame:
    """What every figure of one picture filters by: the cases inside, and the moments."""

    inside: tuple[ColumnElement[bool], ...]
    now: datetime
    today_start: datetime
    trend_start: datetime

    @property
    def open_now(self) -> ColumnElement[bool]:
        return Case.status.not_in([status.value for status in FINISHED])

    @property
    def late(self) -> ColumnElement[bool]:
        return self.open_now & (Case.stage_due_at < self.now)


def dashboard(
    db: Session, actor: Actor, region_code: str | None = None, now: datetime | None = None
) -> Dashboard:
    """The picture of `region_code` (the viewer's own area by default)."""
    require_role(actor, DASHBOARD_VIEWERS)
    now = now or utcnow()
    region = _own_region(db, actor, region_code)
    frame = Frame(
        inside=(
            readable(actor),
            within(Case.region_code, significant_prefix(region.code)),
        ),
        now=now,
        today_start=_local_midnight(now, 0),
        trend_start=_local_midnight(now, TREND_DAYS - 1),
    )
    rating, ratings = _satisfaction(db, frame)
    totals, children = _figures(db, region, frame)
    return Dashboard(
        region=region,
        child_level=_child_level(region),
        open=totals.open,
        overdue=totals.overdue,
        reported_today=totals.today,
        closed_today=_closed_since(db, frame, frame.today_start),
        satisfaction=rating,
        ratings=ratings,
        by_channel_today=_tally(db, frame, Case.channel, Case.created_at >= frame.today_start),
        top_categories=_top_categories(db, frame),
        overdue_by_department=_overdue_by_department(db, frame),
        trend=_trend(db, frame),
        children=children,
    )


def _own_region(db: Session, actor: Actor, region_code: str | None) -> Region:
    """The viewer's own area or a region inside it; the regions above are not theirs to watch."""
    region = visible_region(db, actor, region_code or actor.scope_code or "")
    if not may_see(actor, region.code):
        raise NotFound("region_not_found", code=region.code)
    return region


def _local_midnight(now: datetime, days_back: int) -> datetime:
    """A local midnight, in UTC: SQLite compares stored UTC text and drops any zone."""
    day = now.astimezone(DISPLAY_ZONE).date() - timedelta(days=days_back)
    return datetime.combine(day, time(), DISPLAY_ZONE).astimezone(UTC)


def _child_level(region: Region) -> Level | None:
    position = LEVEL_ORDER.index(Level(region.level))
    below = LEVEL_ORDER[position + 1] if position + 1 < len(LEVEL_ORDER) else None
    return below if below in CHILD_CODE_LENGTH else None


def _closed_since(db: Session, frame: Frame, since: datetime) -> int:
    query = (
        select(func.count(func.distinct(CaseAction.case_id)))
        .join(Case, Case.id == CaseAction.case_id)
        .where(
            *frame.inside,
            CaseAction.to_status == Status.CLOSED.value,
            CaseAction.created_at >= since,
        )
    )
    return db.scalar(query) or 0


def _tally(
    db: Session, frame: Frame, column: QueryableAttribute[Any], condition: ColumnElement[bool]
) -> list[Tally]:
    counted = func.count()
    rows = db.execute(
        select(column, counted)
        .where(*frame.inside, condition)
        .group_by(column)
        .order_by(counted.desc())
    ).all()
    return [Tally(key, key or "", count) for key, count in rows]


def _top_categories(db: Session, frame: Frame) -> list[Tally]:
    found = _tally(db, frame, Case.category_code, Case.created_at >= frame.trend_start)
    return [
        Tally(item.key, _category_label(db, item.key), item.count)
        for item in found[:TOP_CATEGORIES]
    ]


def _category_label(db: Session, code: str | None) -> str:
    category = get_category(db, code) if code else None
    return category.name if category is not None else ""


def _overdue_by_department(db: Session, frame: Frame) -> list[Tally]:
    rows = db.execute(
        select(Department.code, Department.name, func.count(Case.id))
        .select_from(Case)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(*frame.inside, frame.late)
        .group_by(Department.code, Department.name)
        .order_by(func.count(Case.id).desc())
    ).all()
    return [Tally(code, name or "", count) for code, name, count in rows]


def _satisfaction(db: Session, frame: Frame) -> tuple[float | None, int]:
    average, count = db.execute(
        select(func.avg(CaseFeedback.rating), func.count(CaseFeedback.rating))
        .join(Case, Case.id == CaseFeedback.case_id)
        .where(
            *frame.inside,
            CaseFeedback.rating.is_not(None),
            CaseFeedback.created_at >= frame.trend_start,
        )
    ).one()
    return (None if average is None else round(float(average), 2)), count


def _trend(db: Session, frame: Frame) -> list[tuple[date, int, int]]:
    """Reported and closed per local day, counted by the database in one grouped query each:
    the day boundaries are computed here (local midnights, Shanghai keeps no summer time), so
    both engines bucket alike without a time-zone function of their own."""
    reported = _per_day(db, frame, Case.created_at, select(Case.created_at).where(*frame.inside))
    closed = _per_day(
        db,
        frame,
        CaseAction.created_at,
        select(CaseAction.created_at)
        .join(Case, Case.id == CaseAction.case_id)
        .where(*frame.inside, CaseAction.to_status == Status.CLOSED.value),
    )
    first = frame.trend_start.astimezone(DISPLAY_ZONE).date()
    days = [first + timedelta(days=offset) for offset in range(TREND_DAYS)]
    return [(day, reported[offset], closed[offset]) for offset, day in enumerate(days)]


def _per_day(
    db: Session, frame: Frame, moment: QueryableAttribute[datetime], base: Select[Any]
) -> Counter[int]:
    """How many rows of `base` fall on each of the trend's days, by the day's offset."""
    bounds = [frame.trend_start + timedelta(days=offset) for offset in range(1, TREND_DAYS + 1)]
    offset = case(*((moment < bound, index) for index, bound in enumerate(bounds)))
    counted = (
        base.with_only_columns(offset, func.count())
        .where(moment >= frame.trend_start, moment < bounds[-1])
        .group_by(offset)
    )
    return Counter(dict(db.execute(counted).all()))


@dataclass(frozen=True)
class Totals:
    open: int
    overdue: int
    today: int


def _figures(db: Session, region: Region, frame: Frame) -> tuple[Totals, list[ChildFigures]]:
    """Open, overdue and reported today, for the region and each region one level down, from
    one query grouped by the child's code: the region's figures are the sum of its groups
    (cases filed on the region itself fall in a group of their own)."""
    level = _child_level(region)
    sums = (
        func.sum(_flag(frame.open_now)),
        func.sum(_flag(frame.late)),
        func.sum(_flag(Case.created_at >= frame.today_start)),
    )
    if level is None:
        rows = [(region.code, *db.execute(select(*sums).where(*frame.inside)).one())]
    else:
        key = func.substr(Case.region_code, 1, CHILD_CODE_LENGTH[level])
        rows = list(db.execute(select(key, *sums).where(*frame.inside).group_by(key)).all())
    counted = {
        code: (opened or 0, overdue or 0, today or 0) for code, opened, overdue, today in rows
    }
    totals = Totals(*(sum(figures[column] for figures in counted.values()) for column in range(3)))
    return totals, _children(db, region, level, counted)


def _children(
    db: Session, region: Region, level: Level | None, counted: dict[str, tuple[int, int, int]]
) -> list[ChildFigures]:
    if level is None:
        return []
    names = db.execute(
        select(Region.code, Region.name)
        .where(Region.parent_code == region.code, Region.level == level.value)
        .order_by(Region.code)
    ).all()
    return [ChildFigures(code, name, *counted.get(code, (0, 0, 0))) for code, name in names]


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)
