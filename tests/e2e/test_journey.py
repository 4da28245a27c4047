"""The whole loop in real browsers, each role in its own window (issue 4, done means).

A resident reports with a photo and a map tap; the street dispatcher sees it
arrive on the workbench without reloading and dispatches it; the department's
handler claims it and resolves it with an evidence photo; the grid worker
verifies it on the spot; the dispatcher closes it; the resident rates it.
"""

from pathlib import Path
from typing import Any

import pytest

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from tests.e2e.helpers import Cast, shots, tap_own_grid, walk_the_loop
from tests.factories import PASSWORD, City, People

pytestmark = pytest.mark.e2e


def test_a_report_travels_from_the_resident_through_every_role_and_back(
    window: Any,
    city: City,
    people: People,
    db: Any,
    handler: str,
    *,
    photo_dir: Path,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    grid = next(code for code in sorted(city.grids) if code.startswith("530502001"))
    auth_service.create_user(
        db, username="gridworker", password=PASSWORD, role=Role.GRID_WORKER, scope_code=grid
    )
    db.commit()
    cast = Cast(
        dispatcher=(people.owner.username, people.owner.password),
        handler=(handler, PASSWORD),
        worker=("gridworker", PASSWORD),
        department="城管局",
        tap=lambda page: _tap_test_city(page, city, grid),
    )
    walk_the_loop(window, cast, tmp_path=tmp_path, shots=shots(artifacts, "journey"))


def _tap_test_city(page: Any, city: City, grid: str) -> None:
    assert tap_own_grid(page, city) == grid
