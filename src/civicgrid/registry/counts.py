"""How many people live in each grid: a count for rates, never a list of who."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.registry.models import Address, Household, Resident


def residents_per_region(db: Session) -> dict[str, int]:
    """Registered residents per region code (a grid, where the registry placed them there).

    Called by the monthly analysis for rates per 1,000 residents; it returns counts only,
    so the people themselves never leave the registry.
    """
    rows = db.execute(
        select(Resident.region_code, func.count()).group_by(Resident.region_code)
    ).all()
    return {code: int(count) for code, count in rows}


def households_per_region(db: Session) -> dict[str, int]:
    """Households per region code of their address (the grid the address lies in).

    A household is placed by where it lives, its address, rather than by its own copy
    of the region code, so a household moved to another address counts where it went.
    Counts only, for the monthly analysis's rates per household.
    """
    rows = db.execute(
        select(Address.region_code, func.count(Household.id))
        .join(Address, Address.id == Household.address_id)
        .group_by(Address.region_code)
    ).all()
    return {code: int(count) for code, count in rows}
