"""Fixtures of the component tests: a city's component survey, imported as a file."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from civicgrid.categories.seeds import seed_builtin
from civicgrid.components.files import import_components
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from tests.factories import OTHER_GRID, OWN_GRID, City, write_csv

# GB/T 30428.2 codes: 隆阳区 (530502) and 施甸县 (530521), classes 0101 上水井盖 and 0117 路灯.
OWN_COVER = "5305020101000001"
OWN_LIGHT = "5305020117000002"
FAR_LIGHT = "5305210117000001"
HEADINGS = ["部件编码", "部件名称", "经度", "纬度", "地址", "部件状态"]


@dataclass(frozen=True)
class Survey:
    city: City
    own: tuple[str, ...]
    far: tuple[str, ...]


def survey_rows(city: City) -> list[list[object]]:
    lng, lat = city.point_in(OWN_GRID)
    far_lng, far_lat = city.point_in(OTHER_GRID)
    return [
        [OWN_COVER, "", lng, lat, "东门路 1 号", "完好"],
        [OWN_LIGHT, "东门路 3 号路灯", lng + 0.001, lat, "东门路 3 号", "破损"],
        [FAR_LIGHT, "施甸路灯", far_lng, far_lat, "", ""],
    ]


@pytest.fixture
def survey(db: Session, city: City, settings: Settings, tmp_path: Path) -> Survey:
    """The city's components in two districts, with the built-in categories for cases."""
    seed_builtin(db)
    db.commit()
    path = write_csv(tmp_path / "部件普查.csv", survey_rows(city), HEADINGS)
    report = import_components(
        db, path, actor=console_actor(), settings=settings, grid_index=GridIndex()
    )
    assert report.imported == 3, report.errors
    db.commit()
    return Survey(city=city, own=(OWN_COVER, OWN_LIGHT), far=(FAR_LIGHT,))
