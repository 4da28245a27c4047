"""The demo and the taxonomy in force: with the government taxonomy at hand the demo puts it
alone in force, trains its model for it and files its year under it; without, nothing changes."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AdminChange
from civicgrid.cases.models import Case
from civicgrid.categories.classifier import load_model, model_path
from civicgrid.categories.in_force import taxonomy_in_force
from civicgrid.categories.models import Category
from civicgrid.demo.cases import generate_cases
from civicgrid.demo.service import DemoParameters, DemoResult, build_demo
from civicgrid.geo.service import GridIndex
from civicgrid.settings import get_settings
from tests.factories import GOVERNMENT_MUNICIPAL, write_government_taxonomy

END = datetime(2025, 7, 1, tzinfo=UTC)
START = END - timedelta(days=365)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The demo's model and accounts go to this test's own folder."""
    monkeypatch.setenv("CIVICGRID_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def build(db: Session, data_dir: Path, shared: Path | None) -> DemoResult:
    parameters = DemoParameters("530500", grid_count=160, seed=1, shared_data=shared is not None)
    return build_demo(
        db, parameters, shared_data=shared, accounts_path=data_dir / "demo-accounts.json"
    )


def test_the_demo_puts_the_government_taxonomy_it_imported_in_force_and_files_under_it(
    db: Session, data_dir: Path, tmp_path: Path
):
    shared = tmp_path / "shared"
    write_government_taxonomy(shared)
    result = build(db, data_dir, shared)

    assert taxonomy_in_force(db) == "government"
    logged = db.scalars(select(AdminChange).where(AdminChange.action == "taxonomy_in_force"))
    assert [(row.actor, json.loads(row.after)) for row in logged] == [
        ("system", {"choice": "government"})
    ]
    assert "当前使用的分类体系：政府留言分类体系，可归类的二级分类 4 个" in result.notes
    model = load_model(model_path())
    assert model.classes
    assert all(code.startswith("GOV-") for code in model.classes)

    generate_cases(db, GridIndex(), count=16, seed=3, start=START, end=END)
    filed = [code for code in db.scalars(select(Case.category_code)) if code is not None]
    assert filed, "the stories whose kind a government category handles are filed under it"
    assert all(code.startswith("GOV-") for code in filed)
    municipal = db.scalar(select(Category.code).where(Category.name == GOVERNMENT_MUNICIPAL))
    assert municipal in filed, "urban-management stories go to 城市建设和市政管理"


def test_without_the_shared_data_the_demo_keeps_every_category_in_force(
    db: Session, data_dir: Path
):
    result = build(db, data_dir, None)
    assert taxonomy_in_force(db) == "all"
    logged = db.scalars(select(AdminChange).where(AdminChange.action == "taxonomy_in_force"))
    assert not logged.all()
    assert any(note.startswith("当前使用的分类体系：全部启用的分类") for note in result.notes)
