"""Computing a month's safe-place list from the archive (DuckDB) and storing it.

A community is safe (零发案) when no archived event of the chosen risk classes lies in
it (its region code, or a grid's inside it). A compound is safe when no such event was
attributed to it: the archiver gave each located case the compound whose extent holds its
point (`registry.compounds`), so the archive says which compound without keeping where.
Events before a compound was registered were attributed to none; a compound without any
point can hold no event and is listed as unlocated, never as safe.
"""

from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from civicgrid.archive.store import month_files
from civicgrid.categories.reference import risk_classes
from civicgrid.diagnosis.definition import parse_month
from civicgrid.divisions import Level
from civicgrid.geo.models import Region
from civicgrid.registry.compounds import compounds
from civicgrid.safeplaces.models import PlaceLevel, PlaceStatus, SafePlace, SafePlaceList
from civicgrid.timeutil import utcnow

# What the worker's monthly list counts: public security (平安) in the narrow sense, the
# classes a resident means by "nothing happened here"; a run by hand may choose others.
DEFAULT_CLASSES = (
    "public_order",
    "theft",
    "fraud",
    "narcotics",
    "gambling",
    "fire",
    "collective_action",
)

_BY_REGION = """
SELECT region_code, COUNT(*) FROM events
WHERE month = ? AND risk_class IS NOT NULL AND list_contains(?, risk_class)
GROUP BY region_code
"""
_BY_COMPOUND = """
SELECT compound_id, COUNT(*) FROM events
WHERE month = ? AND compound_id IS NOT NULL AND list_contains(?, risk_class)
GROUP BY compound_id
"""


def published(db: Session, month: str) -> bool:
    query = select(SafePlace.id).where(
        SafePlace.month == month, SafePlace.published_at.is_not(None)
    )
    return db.scalars(query.limit(1)).first() is not None


def produce(
    db: Session,
    *,
    root: Path,
    month: str,
    classes: tuple[str, ...] = DEFAULT_CLASSES,
    now: datetime | None = None,
) -> SafePlaceList:
    """Compute the month's list and store it in place of an earlier one, unless any of it
    is published: a published list is fixed, and is returned as it stands."""
    checked = parse_month(month)
    known = {risk.code for risk in risk_classes()}
    unknown = sorted(set(classes) - known)
    if unknown:
        raise ValueError(f"unknown risk classes: {unknown}")
    existing = db.get(SafePlaceList, checked)
    if existing is not None and published(db, checked):
        return existing
    by_region, by_compound = _counts(root, checked, classes)
    db.execute(delete(SafePlace).where(SafePlace.month == checked))
    if existing is not None:
        db.delete(existing)
        db.flush()
    header = SafePlaceList(month=checked, classes=list(classes), computed_at=now or utcnow())
    db.add(header)
    db.flush()
    rows = _community_rows(db, checked, by_region) + _compound_rows(db, checked, by_compound)
    if rows:
        db.execute(insert(SafePlace), rows)
    return header


def _counts(
    root: Path, month: str, classes: tuple[str, ...]
) -> tuple[dict[str, int], dict[int, int]]:
    import duckdb  # noqa: PLC0415 - loaded by the worker's monthly run, not at server start

    files = [str(path) for path in month_files(root, [month])]
    if not files:
        return {}, {}
    with duckdb.connect() as connection:
        relation = connection.read_parquet(files, union_by_name=True)
        relation.create_view("events")
        parameters = [month, list(classes)]
        by_region = dict(connection.execute(_BY_REGION, parameters).fetchall())
        by_compound: dict[int, int] = {}
        if "compound_id" in relation.columns:
            by_compound = dict(connection.execute(_BY_COMPOUND, parameters).fetchall())
    return by_region, by_compound


def _community_rows(db: Session, month: str, by_region: dict[str, int]) -> list[dict[str, object]]:
    communities = db.execute(
        select(Region.code, Region.name)
        .where(Region.level == Level.COMMUNITY)
        .order_by(Region.code)
    ).all()
    events: dict[str, int] = dict.fromkeys((code for code, _ in communities), 0)
    for region_code, count in by_region.items():
        community = region_code[:12]
        if len(region_code) >= 12 and community in events:
            events[community] += int(count)
    return [
        _row(month, PlaceLevel.COMMUNITY, code, name, code, events[code], located=True)
        for code, name in communities
    ]


def _compound_rows(db: Session, month: str, by_compound: dict[int, int]) -> list[dict[str, object]]:
    return [
        _row(
            month,
            PlaceLevel.COMPOUND,
            str(compound.id),
            compound.full_text,
            compound.region_code,
            int(by_compound.get(compound.id, 0)),
            located=compound.extent is not None,
        )
        for compound in compounds(db)
    ]


def _row(  # noqa: PLR0917 - one row's columns
    month: str, level: PlaceLevel, code: str, name: str, region: str, events: int, *, located: bool
) -> dict[str, object]:
    if not located:
        status = PlaceStatus.UNLOCATED
    else:
        status = PlaceStatus.SAFE if events == 0 else PlaceStatus.NOT_SAFE
    return {
        "month": month,
        "level": level.value,
        "place_code": code,
        "name": name[:400],
        "region_code": region,
        "events": events,
        "status": status.value,
        "published_at": None,
        "published_by": None,
    }
