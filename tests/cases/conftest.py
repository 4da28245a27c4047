"""Fixtures of the case tests: what a city starts its case loop with."""

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role
from civicgrid.cases import routing
from civicgrid.categories.seeds import seed_builtin
from tests.factories import OWN_COMMUNITY, OWN_DISTRICT, PASSWORD, AuthedUser, City


@pytest.fixture
def loop_people(db: Session, city: City) -> dict[str, AuthedUser]:
    """The categories, routing table and the handling department a city starts with."""
    seed_builtin(db)
    auth_service.create_department(
        db, code="530502-urban", name="城管局", kind="urban_management", region_code=OWN_DISTRICT
    )
    routing.seed_default_rules(db)
    made = {
        "handler": (Role.DEPARTMENT_HANDLER, OWN_DISTRICT, "530502-urban"),
        "worker": (Role.GRID_WORKER, OWN_COMMUNITY, None),
    }
    for username, (role, scope, department) in made.items():
        auth_service.create_user(
            db,
            username=username,
            password=PASSWORD,
            role=role,
            scope_code=scope,
            department_code=department,
        )
    db.commit()
    return {
        name: AuthedUser(username=name, password=PASSWORD, scope_code=scope, role=role)
        for name, (role, scope, _) in made.items()
    }
