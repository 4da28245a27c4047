"""Where an archived case happened, coarsened: its H3 cell and its compound, never its point."""

from datetime import datetime
from pathlib import Path

import h3
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.archive import store
from civicgrid.archive.events import SCHEMA
from civicgrid.archive.service import append
from civicgrid.auth.models import Role
from civicgrid.cases.service import Intake, report_case
from civicgrid.categories.seeds import seed_builtin
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.report import compute
from civicgrid.geo.service import GridIndex
from civicgrid.hexcells import CELL_RESOLUTION
from civicgrid.registry.addresses import AddressInput, ensure_addresses
from civicgrid.registry.models import Address, AddressLevel
from tests.factories import OTHER_GRID, OWN_GRID, City, actor

NOVEMBER = datetime.fromisoformat("2026-11-10T02:00:00+00:00")
LATER = datetime.fromisoformat("2026-12-05T00:00:00+00:00")


def _case_at(db: Session, lng: float, lat: float) -> None:
    intake = Intake(
        description="楼道堆物", channel="resident", lng=lng, lat=lat, category_code="UM-01-01"
    )
    report_case(db, GridIndex(), intake=intake, actor=actor(Role.RESIDENT), now=NOVEMBER)


def test_a_located_case_keeps_its_h3_cell_and_compound_but_not_its_point(
    db: Session, city: City, tmp_path: Path
):
    seed_builtin(db)
    lng, lat = city.point_in(OWN_GRID)
    ensure_addresses(
        db, [AddressInput("正阳北路12号3栋", lng=lng, lat=lat)], grid_index=GridIndex()
    )
    compound = db.scalars(select(Address).where(Address.level == AddressLevel.HOUSE_NUMBER)).one()
    _case_at(db, lng + 0.0001, lat)  # about 10 m from the building: inside the margin
    far_lng, far_lat = city.point_in(OTHER_GRID)
    _case_at(db, far_lng, far_lat)
    db.commit()

    append(db, root=tmp_path, now=LATER)

    rows = sorted(
        (row for path in tmp_path.rglob("*.parquet") for row in pq.read_table(path).to_pylist()),
        key=lambda row: row["source_id"],
    )
    cases = [row for row in rows if row["source"] == "case"]
    assert [(row["h3_cell"], row["compound_id"]) for row in cases] == [
        (h3.latlng_to_cell(lat, lng + 0.0001, CELL_RESOLUTION), compound.id),
        (h3.latlng_to_cell(far_lat, far_lng, CELL_RESOLUTION), None),
    ]
    written = " ".join(str(value) for row in rows for value in row.values())
    assert f"{lng + 0.0001}"[:7] not in written
    assert f"{lat}"[:6] not in written


def test_archive_files_from_before_the_cell_column_still_read_beside_newer_ones(tmp_path: Path):
    older = pa.schema([field for field in SCHEMA if field.name not in {"h3_cell", "compound_id"}])
    row = {
        "source": "dispute",
        "source_id": 1,
        "occurred_at": NOVEMBER,
        "month": "2026-11",
        "district": OWN_GRID[:6],
        "region_code": OWN_GRID,
        "grid_code": OWN_GRID,
        "risk_class": "neighbour_disputes",
        "category_code": None,
        "kind": "neighbour",
        "status": "registered",
    }
    folder = store.partition_dir(tmp_path, "2026-11", OWN_GRID[:6])
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row], schema=older), folder / "a-old.parquet")
    newer = {**row, "source_id": 2, "h3_cell": "89406a2a6b7ffff", "compound_id": 7}
    pq.write_table(pa.Table.from_pylist([newer], schema=SCHEMA), folder / "b-new.parquet")

    cells = compute(DuckDBEngine(tmp_path), "2026-11", {}).cells.to_pylist()

    assert [(c["grid_code"], c["risk_class"], c["events"]) for c in cells] == [
        (OWN_GRID, "neighbour_disputes", 2)
    ]
    assert pq.read_table(folder / "a-old.parquet", schema=SCHEMA).column("h3_cell").null_count == 1
