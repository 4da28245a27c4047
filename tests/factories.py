"""Fixed test data built through the services: a small city and its people.

Two districts of 保山市 with real codes; each street a 2×2 block of
communities, each community a 2×2 block of grids, all squares in WGS-84 so
a point's grid is obvious from its coordinates.
"""

from dataclasses import dataclass

from shapely.geometry import box
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.models import Role, User
from civicgrid.divisions import Level, child_code
from civicgrid.geo.records import RegionRecord
from civicgrid.geo.service import save_regions

PASSWORD = "correct-horse-42"
CITY = "530500"
OWN_DISTRICT = "530502"
OTHER_DISTRICT = "530521"
OWN_STREET = "530502001"
OTHER_STREET_SAME_DISTRICT = "530502002"
CELL = 0.01  # degrees per grid side


@dataclass(frozen=True)
class City:
    code: str
    grids: dict[str, tuple[float, float]]  # grid code -> a point well inside it

    def point_in(self, grid_code: str) -> tuple[float, float]:
        return self.grids[grid_code]


@dataclass(frozen=True)
class AuthedUser:
    username: str
    password: str
    scope_code: str
    role: Role


@dataclass(frozen=True)
class People:
    admin: AuthedUser
    owner: AuthedUser
    peer: AuthedUser
    outsider: AuthedUser
    leader: AuthedUser


DISTRICT_ORIGINS = {OWN_DISTRICT: (99.10, 25.10), OTHER_DISTRICT: (99.20, 25.10)}


def build_city(db: Session) -> City:
    records = [
        RegionRecord("530000", "云南省", Level.PROVINCE, None),
        RegionRecord(CITY, "保山市", Level.CITY, "530000", box(99.0, 25.0, 99.4, 25.4)),
    ]
    grids: dict[str, tuple[float, float]] = {}
    for district, (x0, y0) in DISTRICT_ORIGINS.items():
        records.append(
            RegionRecord(
                district, f"区{district}", Level.DISTRICT, CITY, box(x0, y0, x0 + 0.08, y0 + 0.04)
            )
        )
        for street_number in (1, 2):
            sx = x0 + (street_number - 1) * 4 * CELL
            records.extend(_street(district, street_number, sx, y0, grids))
    save_regions(db, records, kind="test", summary="test city")
    db.commit()
    return City(code=CITY, grids=grids)


def _street(
    district: str, number: int, x0: float, y0: float, grids: dict[str, tuple[float, float]]
) -> list[RegionRecord]:
    street = child_code(district, number)
    records = [
        RegionRecord(
            street,
            f"街道{street}",
            Level.STREET,
            district,
            box(x0, y0, x0 + 4 * CELL, y0 + 4 * CELL),
        )
    ]
    for index, (cx, cy) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)], start=1):
        community = child_code(street, index)
        bx, by = x0 + cx * 2 * CELL, y0 + cy * 2 * CELL
        records.append(
            RegionRecord(
                community,
                f"社区{community}",
                Level.COMMUNITY,
                street,
                box(bx, by, bx + 2 * CELL, by + 2 * CELL),
            )
        )
        for grid_index, (gx, gy) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)], start=1):
            grid = child_code(community, grid_index)
            gx0, gy0 = bx + gx * CELL, by + gy * CELL
            records.append(
                RegionRecord(
                    grid,
                    f"网格{grid}",
                    Level.GRID,
                    community,
                    box(gx0, gy0, gx0 + CELL, gy0 + CELL),
                )
            )
            grids[grid] = (gx0 + CELL / 2, gy0 + CELL / 2)
    return records


def _user(db: Session, username: str, role: Role, scope: str) -> AuthedUser:
    auth_service.create_user(db, username=username, password=PASSWORD, role=role, scope_code=scope)
    return AuthedUser(username=username, password=PASSWORD, scope_code=scope, role=role)


def build_people(db: Session, city: City) -> People:
    """Three fixed people for jurisdiction tests, plus an administrator and a leader."""
    people = People(
        admin=_user(db, "admin", Role.ADMIN, city.code),
        owner=_user(db, "owner", Role.DISPATCHER, OWN_STREET),
        peer=_user(db, "peer", Role.COMMUNITY_STAFF, OWN_STREET),
        outsider=_user(db, "outsider", Role.DISPATCHER, OTHER_DISTRICT),
        leader=_user(db, "leader", Role.LEADER, city.code),
    )
    db.commit()
    return people


def user_row(db: Session, username: str) -> User:
    found = db.scalar(select(User).where(User.username == username))
    assert found is not None
    return found
