"""Standard addresses: split into levels, stored once as a chain, placed in a grid, in batches."""

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from civicgrid.errors import BatchInvalid
from civicgrid.geo.service import GridIndex
from civicgrid.registry.addresses import (
    AddressBook,
    AddressInput,
    common_region,
    ensure_address_ids,
    ensure_addresses,
    normalise_address,
    split_levels,
)
from civicgrid.registry.models import Address
from tests.factories import City
from tests.registry.conftest import NEXT_GRID, OWN_COMMUNITY, OWN_GRID


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        (
            "正阳北路12号3栋2单元501室",
            [
                ("road", "正阳北路"),
                ("house_number", "12号"),
                ("building", "3栋"),
                ("unit", "2单元"),
                ("room", "501室"),
            ],
        ),
        (
            "隆阳区永昌街道正阳北路12号",
            [("road", "隆阳区永昌街道正阳北路"), ("house_number", "12号")],
        ),
        (
            "幸福小区3幢2单元501",
            [("road", "幸福小区"), ("building", "3幢"), ("unit", "2单元"), ("room", "501室")],
        ),
        (
            "中山路12号楼3单元1201",
            [("road", "中山路"), ("building", "12号楼"), ("unit", "3单元"), ("room", "1201室")],
        ),
        ("光明巷7-2号B座", [("road", "光明巷"), ("house_number", "7-2号"), ("building", "B座")]),
        ("河图镇大官市村三组", [("road", "河图镇大官市村三组")]),
        ("幸福村88", [("road", "幸福村88")]),
    ],
)
def test_an_address_splits_into_the_standard_levels(text, levels):
    assert [(level.value, name) for level, name in split_levels(text)] == levels


def test_full_width_characters_and_spaces_are_normalised():
    assert normalise_address(" 正阳北路 １２号 ａ栋\u3000２单元 ") == "正阳北路12号A栋2单元"


def point(city: City, grid: str, text: str) -> AddressInput:
    lng, lat = city.point_in(grid)
    return AddressInput(text, lng=lng, lat=lat)


def count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Address)) or 0


def test_the_chain_is_created_once_and_reused(db: Session, city: City):
    index = GridIndex()
    [first] = ensure_addresses(
        db, [point(city, OWN_GRID, "正阳北路12号3栋2单元501室")], grid_index=index
    )
    [again] = ensure_addresses(
        db, [point(city, OWN_GRID, "正阳北路 １２号３栋２单元５０１")], grid_index=index
    )
    assert again.id == first.id
    assert first.full_text == "正阳北路12号3栋2单元501室"
    assert count(db) == 5
    chain = []
    node: Address | None = first
    while node is not None:
        chain.append(node.level)
        node = db.get(Address, node.parent_id) if node.parent_id else None
    assert chain == ["room", "unit", "building", "house_number", "road"]


def test_two_rooms_of_one_building_share_the_building(db: Session, city: City):
    rooms = ensure_addresses(
        db,
        [
            point(city, OWN_GRID, "正阳北路12号3栋2单元501室"),
            point(city, OWN_GRID, "正阳北路12号3栋2单元502室"),
        ],
        grid_index=GridIndex(),
    )
    assert rooms[0].parent_id == rooms[1].parent_id
    assert count(db) == 6


def test_a_point_places_the_address_in_its_grid(db: Session, city: City):
    [address] = ensure_addresses(
        db, [point(city, NEXT_GRID, "正阳北路14号")], grid_index=GridIndex()
    )
    assert address.region_code == NEXT_GRID
    assert (address.lng, address.lat) == city.point_in(NEXT_GRID)


def test_a_road_across_two_grids_belongs_to_their_community(db: Session, city: City):
    index = GridIndex()
    ensure_addresses(db, [point(city, OWN_GRID, "正阳北路12号")], grid_index=index)
    ensure_addresses(db, [point(city, NEXT_GRID, "正阳北路14号")], grid_index=index)
    road = db.scalar(select(Address).where(Address.parent_id.is_(None)))
    assert road is not None
    assert road.region_code == OWN_COMMUNITY
    numbers = db.scalars(select(Address.region_code).where(Address.level == "house_number"))
    assert sorted(numbers) == [OWN_GRID, NEXT_GRID]


def test_without_a_point_a_given_community_places_the_address(db: Session, city: City):
    item = AddressInput("河图镇大官市村三组", region_code=OWN_COMMUNITY)
    [address] = ensure_addresses(db, [item], grid_index=GridIndex())
    assert address.region_code == OWN_COMMUNITY
    assert address.lng is None


def test_each_unplaceable_address_is_named_by_its_position(db: Session, city: City):
    items = [
        point(city, OWN_GRID, "正阳北路12号"),
        AddressInput("无名路1号", lng=120.0, lat=30.0),
        AddressInput("无名路2号", region_code="530502001009"),
        AddressInput("   "),
        AddressInput("无名路3号", lng=99.1),
    ]
    with pytest.raises(BatchInvalid) as refused:
        ensure_addresses(db, items, grid_index=GridIndex())
    assert [(index, error.code) for index, error in refused.value.items] == [
        (1, "registry_address_unlocated"),
        (2, "registry_region_unknown"),
        (3, "registry_address_empty"),
        (4, "registry_point_incomplete"),
    ]
    assert count(db) == 0


def test_a_thousand_addresses_take_a_few_statements(db: Session, city: City):
    lng, lat = city.point_in(OWN_GRID)
    items = [
        AddressInput(f"正阳北路{n // 100 + 1}号{n // 10 % 10 + 1}栋{n % 10 + 1}01室", lng, lat)
        for n in range(1000)
    ]
    index = GridIndex()
    index.current(db)
    statements: list[str] = []
    engine = db.get_bind()

    def remember(**sent: object) -> None:
        statements.append(str(sent["statement"]))

    event.listen(engine, "before_cursor_execute", remember, named=True)
    try:
        leaves = ensure_addresses(db, items, grid_index=index)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert len({leaf.id for leaf in leaves}) == 1000
    assert all(leaf.region_code == OWN_GRID for leaf in leaves)
    assert len(statements) <= 12


@pytest.mark.parametrize(
    ("first", "second", "common"),
    [
        ("530502001001001", "530502001001002", "530502001001"),
        ("530502001001001", "530502002001001", "530502"),
        ("530502001001001", "530521001001001", "530500"),
        ("530502001001", "530502001001003", "530502001001"),
    ],
)
def test_the_common_region_is_the_smallest_holding_both(first, second, common):
    assert common_region(first, second) == common


def test_an_address_book_kept_across_batches_stores_what_one_batch_stores(db: Session, city: City):
    first = [
        point(city, OWN_GRID, "正阳北路12号3栋2单元501室"),
        point(city, OWN_GRID, "正阳北路12号"),
    ]
    second = [
        point(city, NEXT_GRID, "正阳北路14号"),
        point(city, OWN_GRID, "正阳北路12号3栋2单元502室"),
    ]
    index, book = GridIndex(), AddressBook()
    ids = ensure_address_ids(db, first, grid_index=index, book=book)
    ids += ensure_address_ids(db, second, grid_index=index, book=book)
    stored = db.execute(
        select(Address.id, Address.parent_id, Address.name, Address.region_code).order_by(
            Address.id
        )
    ).all()

    # Asked afresh, in one batch and without the book, every input finds the same node.
    assert [leaf.id for leaf in ensure_addresses(db, first + second, grid_index=index)] == ids
    assert count(db) == len(stored) == 7
    road = db.scalar(select(Address).where(Address.parent_id.is_(None)))
    assert road is not None
    # Widened by the second batch, through the book's UPDATE, and seen by the ORM.
    assert road.region_code == OWN_COMMUNITY
