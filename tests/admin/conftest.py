"""Fixtures for the change log: the seeded taxonomy for category edits."""

import pytest
from sqlalchemy.orm import Session

from civicgrid.categories import seeds


@pytest.fixture
def seeded(db: Session) -> Session:
    seeds.seed_builtin(db)
    db.commit()
    return db
