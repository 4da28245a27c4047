"""The names behind the codes a case carries, so a page shows 类别、位置 and who acted by name.

The API keeps every code (category SG-09-04, grid 530502001002015, actor
user:worker.530502001002015): integrations key on them, and pages show them on hover.
"""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import User
from civicgrid.categories.taxonomy import get_category
from civicgrid.geo.models import Region

# The levels a place is named by inside its district: street, community, grid.
PLACE_PREFIXES = (9, 12, 15)
USER_LABEL = "user:"


def category_name(db: Session, code: str | None, locale: str) -> str | None:
    category = get_category(db, code) if code else None
    if category is None:
        return None
    return category.name_en or category.name if locale == "en" else category.name


def place_name(db: Session, region_code: str | None) -> str | None:
    """Street · community · grid, as far down as the code goes; None when none is known."""
    if not region_code:
        return None
    codes = [region_code[:length] for length in PLACE_PREFIXES if length <= len(region_code)]
    names = dict(db.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    known = [names[code] for code in codes if code in names]
    return " · ".join(known) or None


def region_name(db: Session, region_code: str | None) -> str | None:
    """A region's own name (a district's, say, which `place_name` does not reach)."""
    if not region_code:
        return None
    return db.scalar(select(Region.name).where(Region.code == region_code))


def actor_names(db: Session, labels: Iterable[str]) -> dict[str, str]:
    """Each `user:<username>` label with the person's display name (their username if none)."""
    usernames = {label.removeprefix(USER_LABEL) for label in labels if label.startswith(USER_LABEL)}
    if not usernames:
        return {}
    rows = db.execute(
        select(User.username, User.display_name).where(User.username.in_(usernames))
    ).all()
    return {f"{USER_LABEL}{username}": display or username for username, display in rows}
