"""Every hash chain the platform keeps, checked in one pass: the case histories and the
administrators' change log. `civicgrid audit verify` and `civicgrid restore` ask here."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.audit.log import verify_changes
from civicgrid.cases.models import Case
from civicgrid.cases.service import verify_history


@dataclass(frozen=True)
class ChainReport:
    cases: int
    admin_changes: int
    problems: list[str]


def check_chains(db: Session) -> ChainReport:
    changes = verify_changes(db)
    return ChainReport(
        cases=db.scalar(select(func.count()).select_from(Case)) or 0,
        admin_changes=changes.rows,
        problems=[*verify_history(db), *changes.problems],
    )
