"""Fixtures for the taxonomy: the console administrator and a seeded database."""

import pytest
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import NATIONAL_SCOPE, Actor
from civicgrid.categories import seeds

ADMIN = Actor(kind="console", role=Role.ADMIN, scope_code=NATIONAL_SCOPE)
DISPATCHER = Actor(kind="user", role=Role.DISPATCHER, scope_code="530500")


@pytest.fixture
def seeded(db: Session) -> Session:
    seeds.seed_builtin(db)
    db.commit()
    return db
