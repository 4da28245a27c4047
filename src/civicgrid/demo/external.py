"""A year of 110 police incidents and 12345 hotline work orders for the demo city.

Written as the two systems export them (CSV, with the caller's name and phone in their
own columns) and taken in through the sources importer with a mapping saved for each, as
a real city's scheduled drops are: the archive and the monthly report then count them
beside the demo's cases, and nothing personal in the files is stored.
"""

import csv
import json
import random
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.demo.stories import point_in, report_times
from civicgrid.demo.world import World, load_world
from civicgrid.geo.service import GridIndex
from civicgrid.sources.importer import import_records
from civicgrid.sources.models import SourceKind
from civicgrid.sources.schemas import SourceIn, SourceMapping
from civicgrid.sources.service import save_source
from civicgrid.timeutil import DISPLAY_ZONE

MAPPED = ("record_id", "occurred_at", "type", "status", "lng", "lat")


@dataclass(frozen=True)
class Sample:
    """One exporting system as `external_sources.json` describes it."""

    name: str
    kind: SourceKind
    share: float
    prefix: str
    headings: dict[str, str]
    time_format: str
    statuses: list[str]
    types: dict[str, tuple[str, int]]

    def mapping(self) -> SourceMapping:
        return SourceMapping.model_validate(
            {
                "columns": {field: self.headings[field] for field in MAPPED},
                "time_format": self.time_format,
                "classes": {value: risk for value, (risk, _) in self.types.items()},
            }
        )


@cache
def _material() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("external_sources.json").read_text("utf-8")
    material: dict[str, Any] = json.loads(text)
    return material


def samples() -> list[Sample]:
    return [
        Sample(
            name=row["name"],
            kind=SourceKind(row["kind"]),
            share=row["share"],
            prefix=row["prefix"],
            headings=row["headings"],
            time_format=row["time_format"],
            statuses=row["statuses"],
            types={value: (risk, weight) for value, (risk, weight) in row["types"].items()},
        )
        for row in _material()["sources"]
    ]


def import_external(
    db: Session, index: GridIndex, *, count: int, seed: int, start: datetime, end: datetime
) -> dict[str, int]:
    """About `count` records over the sources, each file imported through its saved mapping.

    The same seed gives the same records and ids, so building the demo again adds nothing.
    Returns the records imported per source.
    """
    rng = random.Random(seed)
    world = load_world(db)
    # The sources belong to the city, so the city's administrators find them afterwards.
    builder = Actor(kind="console", role=Role.ADMIN, scope_code=world.city.code, username="demo")
    imported: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="civicgrid-demo-") as folder:
        for sample in samples():
            data = SourceIn(kind=sample.kind, mapping=sample.mapping())
            source = save_source(db, actor=builder, name=sample.name, data=data)
            db.commit()
            moments = report_times(rng, round(count * sample.share), start, end)
            path = Path(folder) / f"{sample.name}.csv"
            _write(path, sample, rng, world, moments)
            report = import_records(db, path, source=source, actor=builder, grid_index=index)
            db.commit()
            imported[sample.name] = report.imported
    return imported


def _write(
    path: Path,
    sample: Sample,
    rng: random.Random,
    world: World,
    moments: list[datetime],
) -> None:
    """The export as the system writes it, callers' names and phones included."""
    callers = _material()["callers"]
    values = list(sample.types)
    type_weights = [weight for _, weight in sample.types.values()]
    columns = list(sample.headings.values())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for number, moment in enumerate(sorted(moments), start=1):
            place = rng.choices(world.places, cum_weights=world.cumulative_weights)[0]
            lng, lat = point_in(rng, place.geometry)
            kind = rng.choices(values, weights=type_weights)[0]
            caller = rng.choice(callers["surnames"]) + rng.choice(callers["given"])
            local = moment.astimezone(DISPLAY_ZONE)
            row = {
                "record_id": f"{sample.prefix}{local:%Y%m%d}{number:06d}",
                "occurred_at": local.strftime(sample.time_format),
                "type": kind,
                "status": rng.choice(sample.statuses),
                "caller": caller,
                "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                "lng": f"{lng:.6f}",
                "lat": f"{lat:.6f}",
                "text": f"{caller}: {kind}",
            }
            writer.writerow([row[field] for field in sample.headings])
