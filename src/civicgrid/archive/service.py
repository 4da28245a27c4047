"""Writing the archive from the live tables, incrementally and exactly once.

Each source (cases, disputes, imported external records, case actions, alarms, SOS
calls) has a watermark: the last id wholly archived. A run repairs what an interrupted run left
(`store.repair`), then takes batches past the watermark, writes their files, and moves
the watermark, one committed batch at a time.
Rows newer than `now - settle` wait for the next run, so a transaction still open when
the batch is read cannot commit a lower id behind the watermark.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.alarms.feed import alarms_after, sos_after
from civicgrid.archive import compaction, store
from civicgrid.archive.events import (
    ArchiveEvent,
    from_action,
    from_alarm,
    from_case,
    from_dispute,
    from_record,
    from_sos,
    local_month,
)
from civicgrid.archive.models import ArchiveWatermark
from civicgrid.cases.feed import actions_after, cases_after
from civicgrid.categories.service import risk_classes_by_category
from civicgrid.disputes.feed import disputes_after
from civicgrid.registry.compounds import CompoundIndex
from civicgrid.sources.feed import records_after
from civicgrid.timeutil import utcnow

BATCH = 5000
SETTLE = timedelta(minutes=5)

Reader = Callable[[Session, int, datetime, int], list[ArchiveEvent]]


def _read_cases(db: Session, after: int, until: datetime, limit: int) -> list[ArchiveEvent]:
    risk = risk_classes_by_category(db)
    facts = cases_after(db, after_id=after, until=until, limit=limit)
    if not facts:
        return []
    compounds = CompoundIndex.of(db)
    return [from_case(fact, risk, compounds) for fact in facts]


def _read_disputes(db: Session, after: int, until: datetime, limit: int) -> list[ArchiveEvent]:
    return [from_dispute(f) for f in disputes_after(db, after_id=after, until=until, limit=limit)]


def _read_records(db: Session, after: int, until: datetime, limit: int) -> list[ArchiveEvent]:
    return [from_record(f) for f in records_after(db, after_id=after, until=until, limit=limit)]


def _read_actions(db: Session, after: int, until: datetime, limit: int) -> list[ArchiveEvent]:
    return [from_action(f) for f in actions_after(db, after_id=after, until=until, limit=limit)]


def _read_alarms(db: Session, after: int, until: datetime, limit: int) -> list[ArchiveEvent]:
    facts = alarms_after(db, after_id=after, until=until, limit=limit)
    if not facts:
        return []
    compounds = CompoundIndex.of(db)
    return [from_alarm(fact, compounds) for fact in facts]


def _read_sos(db: Session, after: int, until: datetime, limit: int) -> list[ArchiveEvent]:
    facts = sos_after(db, after_id=after, until=until, limit=limit)
    if not facts:
        return []
    compounds = CompoundIndex.of(db)
    return [from_sos(fact, compounds) for fact in facts]


READERS: dict[str, Reader] = {
    "case": _read_cases,
    "dispute": _read_disputes,
    "external": _read_records,
    "case_action": _read_actions,
    "alarm": _read_alarms,
    "sos": _read_sos,
}


@dataclass(frozen=True)
class Appended:
    events: dict[str, int]
    files: int
    repaired: int

    @property
    def total(self) -> int:
        return sum(self.events.values())


def append(
    db: Session,
    *,
    root: Path,
    now: datetime | None = None,
    batch: int = BATCH,
    settle: timedelta = SETTLE,
) -> Appended:
    """Archive everything settled since the watermarks.

    Commits after each batch, and only this way: the watermark must land after its
    files and before the next batch, or a crash would lose or repeat rows.
    """
    until = (now or utcnow()) - settle
    counts: dict[str, int] = {}
    files = repaired = 0
    for source, read in READERS.items():
        mark = _watermark(db, source)
        repaired += store.repair(root, source, mark.last_id)
        counts[source] = 0
        while events := read(db, mark.last_id, until, batch):
            files += len(store.write_batch(root, source, events))
            mark.last_id = events[-1].source_id
            mark.events += len(events)
            mark.updated_at = utcnow()
            counts[source] += len(events)
            db.commit()
            mark = _watermark(db, source)
        db.commit()
    return Appended(events=counts, files=files, repaired=repaired)


def _watermark(db: Session, source: str) -> ArchiveWatermark:
    """The source's row, locked until the batch commits so two workers take turns."""
    query = select(ArchiveWatermark).where(ArchiveWatermark.source == source).with_for_update()
    mark = db.scalars(query).one_or_none()
    if mark is None:
        mark = ArchiveWatermark(source=source, last_id=0, events=0, updated_at=utcnow())
        db.add(mark)
        db.flush()
    return mark


def compact_closed(
    db: Session, *, root: Path, now: datetime | None = None, settle: timedelta = SETTLE
) -> list[Path]:
    """Compact each closed month's district folders (`compaction`), holding the sources'
    watermark rows so that no batch of another worker commits while files move.

    A month is closed once its last day is past the settle time, as `append` sees it;
    an event archived late into it (an import of old records) is merged on the next round.
    """
    marks = {source: _watermark(db, source).last_id for source in READERS}
    compacted = []
    for month in closed_months(root, now=now, settle=settle):
        compacted.extend(compaction.compact_month(root, month, marks))
    db.commit()
    return compacted


def closed_months(
    root: Path, *, now: datetime | None = None, settle: timedelta = SETTLE
) -> list[str]:
    """The archived months whose last day is past the settle time, as `append` sees it."""
    closing = local_month((now or utcnow()) - settle)
    return [month for month in compaction.archived_months(root) if month < closing]
