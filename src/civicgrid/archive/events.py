"""One archived event: the row layout every report reads, and how a live row becomes one.

Only facts about places and times enter: no names, phones, ID numbers, addresses,
coordinates or free text. A located case, alarm (its device's point) or SOS call keeps
only a coarse H3 cell (`civicgrid.hexcells`: resolution 9, about 0.1 km², enough for a
map, too coarse to point at a home) and the id of the compound (小区, `registry.compounds`)
its point falls in; both are worked out while archiving, from the point the archive then
drops. An imported record's cell and compound were worked out by the importer from its
point or resolved address, which it never stored. A case's risk class comes from its
category; a dispute's from its kind (`data/dispute_risk_classes.json`); an imported
record's from its source's mapping. A case action (a transition), an alarm and an SOS
call carry no risk class: the case an action belongs to, or an alarm or a call opened,
is already counted once as a case, so the monthly report, which counts rows with a
class, counts none of them twice.

Sensor readings stay in their own store (`alarms.reading_store`): a reading means risk
only when it crosses a threshold rule, and that crossing becomes an alarm through alarm
intake, which lands here as an `alarm` row. The monthly report counts alarm rows per grid
as one class of their own, `device_alarms` (`diagnosis.definition`), tested against the
grid's own months and kept beside each grid's total, never added to it; raw readings are not
counted again, so a crossing is one alarm, once.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc

from civicgrid.alarms.feed import AlarmFact, SosFact
from civicgrid.cases.feed import ActionFact, CaseFact
from civicgrid.disputes.feed import DisputeFact
from civicgrid.divisions import Level, level_of
from civicgrid.hexcells import cell_of
from civicgrid.registry.compounds import CompoundIndex
from civicgrid.sources.feed import RecordFact
from civicgrid.timeutil import DISPLAY_ZONE, as_utc

SOURCES = ("case", "dispute", "external", "case_action", "alarm", "sos")

SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("source_id", pa.int64()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
        ("month", pa.string()),
        ("district", pa.string()),
        ("region_code", pa.string()),
        ("grid_code", pa.string()),
        ("risk_class", pa.string()),
        ("category_code", pa.string()),
        ("kind", pa.string()),
        ("status", pa.string()),
        ("h3_cell", pa.string()),
        ("compound_id", pa.int64()),
    ]
)
"""The archive's columns. `month` (local, YYYY-MM) and `district` (six digits) are also the
partition folders; they stay inside the files too so every engine reads them as plain text.
`h3_cell` and `compound_id` came later: files written before them lack both, and readers
take them as null (DuckDB's `union_by_name`, pyarrow's `schema=`)."""


@dataclass(frozen=True)
class ArchiveEvent:
    source: str
    source_id: int
    occurred_at: datetime
    region_code: str
    grid_code: str | None
    risk_class: str | None
    category_code: str | None
    kind: str
    status: str
    h3_cell: str | None = None
    compound_id: int | None = None

    @property
    def month(self) -> str:
        return local_month(self.occurred_at)

    @property
    def district(self) -> str:
        return self.region_code[:6]


def local_month(moment: datetime) -> str:
    """The month as people in the city count it (Asia/Shanghai), not the UTC month."""
    return as_utc(moment).astimezone(DISPLAY_ZONE).strftime("%Y-%m")


@cache
def dispute_risk_classes() -> Mapping[str, str]:
    text = resources.files(__package__).joinpath("data", "dispute_risk_classes.json")
    mapping: dict[str, str] = json.loads(text.read_text("utf-8"))["dispute_risk_classes"]
    return mapping


def from_case(
    fact: CaseFact, risk_by_category: Mapping[str, str], compounds: CompoundIndex
) -> ArchiveEvent:
    return ArchiveEvent(
        source="case",
        source_id=fact.id,
        occurred_at=as_utc(fact.created_at),
        region_code=fact.region_code,
        grid_code=fact.grid_code,
        risk_class=risk_by_category.get(fact.category_code or ""),
        category_code=fact.category_code,
        kind=fact.channel,
        status=fact.status,
        h3_cell=cell_of(fact.lng, fact.lat),
        compound_id=compounds.locate(fact.lng, fact.lat),
    )


def from_dispute(fact: DisputeFact) -> ArchiveEvent:
    grid = fact.region_code if level_of(fact.region_code) is Level.GRID else None
    return ArchiveEvent(
        source="dispute",
        source_id=fact.id,
        occurred_at=as_utc(fact.created_at),
        region_code=fact.region_code,
        grid_code=grid,
        risk_class=dispute_risk_classes().get(fact.kind),
        category_code=None,
        kind=fact.kind,
        status=fact.status,
    )


def from_record(fact: RecordFact) -> ArchiveEvent:
    """An imported 110, 12345 or 信访 record; its kind is the source's kind, its cell and
    compound the importer's (`sources.importer`)."""
    return ArchiveEvent(
        source="external",
        source_id=fact.id,
        occurred_at=as_utc(fact.occurred_at),
        region_code=fact.region_code,
        grid_code=fact.grid_code,
        risk_class=fact.risk_class,
        category_code=None,
        kind=fact.kind,
        status=fact.status,
        h3_cell=fact.h3_cell,
        compound_id=fact.compound_id,
    )


def from_action(fact: ActionFact) -> ArchiveEvent:
    """A case's transition at its time: `kind` the status it left ("" for the first), `status`
    the one it entered."""
    return ArchiveEvent(
        source="case_action",
        source_id=fact.id,
        occurred_at=as_utc(fact.created_at),
        region_code=fact.region_code,
        grid_code=fact.grid_code,
        risk_class=None,
        category_code=fact.category_code,
        kind=fact.from_status or "",
        status=fact.to_status,
    )


def from_alarm(fact: AlarmFact, compounds: CompoundIndex) -> ArchiveEvent:
    """An alarm: its type as `kind`, what the rules did with it as `status`, placed by its
    device's point."""
    grid = fact.region_code if level_of(fact.region_code) is Level.GRID else None
    return ArchiveEvent(
        source="alarm",
        source_id=fact.id,
        occurred_at=as_utc(fact.occurred_at),
        region_code=fact.region_code,
        grid_code=grid,
        risk_class=None,
        category_code=None,
        kind=fact.alarm_type,
        status=fact.outcome,
        h3_cell=cell_of(fact.lng, fact.lat),
        compound_id=compounds.locate(fact.lng, fact.lat),
    )


def from_sos(fact: SosFact, compounds: CompoundIndex) -> ArchiveEvent:
    """An SOS call: who pressed (a worker's phone or a place's button) as `kind`, the level
    of the centre it was raised to as `status`, placed by the press's point."""
    grid = fact.region_code if level_of(fact.region_code) is Level.GRID else None
    return ArchiveEvent(
        source="sos",
        source_id=fact.id,
        occurred_at=as_utc(fact.raised_at),
        region_code=fact.region_code,
        grid_code=grid,
        risk_class=None,
        category_code=None,
        kind=fact.source,
        status=fact.level,
        h3_cell=cell_of(fact.lng, fact.lat),
        compound_id=compounds.locate(fact.lng, fact.lat),
    )


def to_table(events: list[ArchiveEvent]) -> pa.Table:
    """The batch as columns. The local month and the district are computed in Arrow for the
    whole batch: per event in Python they were a third of the writer's time."""
    moments = pa.array([event.occurred_at for event in events], SCHEMA.field("occurred_at").type)
    regions = pa.array([event.region_code for event in events], pa.string())
    local = moments.cast(pa.timestamp("us", tz=DISPLAY_ZONE.key))
    computed = {
        "occurred_at": moments,
        "month": pc.strftime(local, "%Y-%m"),
        "district": pc.utf8_slice_codeunits(regions, 0, 6),
        "region_code": regions,
    }
    return pa.table(
        {
            field.name: computed[field.name]
            if field.name in computed
            else pa.array([getattr(event, field.name) for event in events], field.type)
            for field in SCHEMA
        },
        schema=SCHEMA,
    )
