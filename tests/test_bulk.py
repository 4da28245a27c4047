"""Bulk writes through the driver: the ids handed back are the stored rows' ids, in order."""

from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from civicgrid.bulk import insert_returning
from civicgrid.registry.models import Address
from civicgrid.timeutil import utcnow

TABLE = cast(Table, Address.__table__)


def _roads(names: list[str]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "parent_id": None,
            "level": "road",
            "name": name,
            "full_text": name,
            "lng": None,
            "lat": None,
            "region_code": "530502",
            "created_at": now,
        }
        for name in names
    ]


def test_each_record_comes_back_with_the_id_it_was_stored_under(db: Session):
    insert_returning(db, TABLE, _roads(["甲路", "乙路", "丙路"]), ("id", "name"))
    # The newest row gone: the next ids follow the largest left, not the largest ever given.
    db.execute(delete(TABLE).where(TABLE.c.name == "丙路"))
    names = [f"路{n}" for n in range(1500)]

    returned = insert_returning(db, TABLE, _roads(names), ("id", "name", "region_code"))

    stored = db.execute(
        select(TABLE.c.id, TABLE.c.name, TABLE.c.region_code).where(TABLE.c.name.in_(names))
    ).all()
    assert sorted(returned) == sorted(tuple(row) for row in stored)
    assert [name for _, name, _ in returned] == names
    assert len({new_id for new_id, _, _ in returned}) == len(names)


def test_children_can_name_the_ids_their_parents_were_given(db: Session):
    """The address book's use: a level's ids are the parents of the next level's rows."""
    (road_id, _), *_ = insert_returning(db, TABLE, _roads(["正阳北路"]), ("id", "name"))
    houses = [
        {**record, "parent_id": road_id, "level": "house_number"} for record in _roads(["12号"])
    ]

    [(house_id, parent_id)] = insert_returning(db, TABLE, houses, ("id", "parent_id"))

    assert parent_id == road_id
    assert db.scalar(select(TABLE.c.parent_id).where(TABLE.c.id == house_id)) == road_id


def test_nothing_to_insert_returns_nothing(db: Session):
    assert insert_returning(db, TABLE, [], ("id",)) == []
