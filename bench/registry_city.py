"""The reference city's population as an office would hand it over: one residents CSV.

Households of about three people (4.3 million residents in 1.4 million
households at the reference size) live at standard addresses spread over the
grids of the planned demo city, each address with a point inside its grid.
Every ID number is a valid GB 11643 number whose birth date fits the person's
place in the household; names follow the frequency of common surnames. The
same size and seed always give the same file, byte for byte.

The columns and headers are the residents file of the registry importer as
offices write them, with the cell spellings offices use: dates in three forms,
care groups as 、-separated Chinese labels.

    .venv/bin/python bench/registry_city.py --residents 20000 --out var/residents.csv
"""

import argparse
import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import shapely

from civicgrid.demo.city import CityPlan, plan_city
from civicgrid.divisions import Level
from civicgrid.registry.validation import resident_id_check_char

CITY = "530500"
CITY_SEED = 20240601
HEADERS = (
    "姓名",
    "公民身份号码",
    "联系电话",
    "人口类型",
    "户号",
    "与户主关系",
    "地址",
    "网格编码",
    "经度",
    "纬度",
    "入住日期",
    "关爱类别",
)
# The reference city's 4.3 million residents in 1.4 million households: 3.07 a household.
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_WEIGHTS = (15, 22, 28, 18, 11, 6)
# Roughly the frequency order of China's commonest surnames (per mille, rounded).
SURNAMES = (
    ("王", 72), ("李", 71), ("张", 68), ("刘", 53), ("陈", 45), ("杨", 31), ("黄", 22),
    ("赵", 21), ("吴", 20), ("周", 19), ("徐", 13), ("孙", 12), ("马", 12), ("朱", 11),
    ("胡", 10), ("郭", 10), ("何", 9), ("林", 9), ("高", 9), ("罗", 9), ("郑", 8),
    ("梁", 8), ("谢", 6), ("宋", 6), ("唐", 6), ("许", 5), ("韩", 5), ("冯", 5),
    ("邓", 5), ("曹", 5), ("彭", 5), ("曾", 5), ("肖", 5), ("田", 4), ("董", 4),
    ("袁", 4), ("潘", 4), ("于", 4), ("蒋", 4), ("蔡", 4), ("余", 4), ("杜", 4),
    ("叶", 3), ("程", 3), ("苏", 3), ("魏", 3), ("吕", 3), ("丁", 3), ("任", 3),
    ("沈", 3), ("姚", 3), ("卢", 3), ("姜", 3), ("崔", 2), ("钟", 2), ("谭", 2),
    ("陆", 2), ("汪", 2), ("范", 2), ("金", 2), ("石", 2), ("廖", 2), ("贾", 2),
    ("夏", 2), ("韦", 2), ("付", 2), ("方", 2), ("白", 2), ("邹", 2), ("孟", 2),
    ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("段", 1),
    ("雷", 1), ("杞", 1), ("字", 1), ("欧阳", 1), ("司马", 1),
)  # fmt: skip
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国"
    "志文斌宇浩然子轩梓涵欣怡佳琪雨欣思远俊杰家豪晨阳若曦一诺紫萱嘉怡浩宇博文天佑"
    "海波永福德昌金凤春梅秋菊冬梅国庆建华晓东丹丹亮亮云龙玉兰淑珍秀兰桂芳德胜"
)
# County codes other people's ID numbers carry: the floating population comes from here.
OTHER_COUNTIES = (
    "510104", "500101", "430102", "520102", "450102", "440106", "330106", "320102",
    "370102", "410102", "420102", "360102", "350102", "130102", "140105", "532301",
    "530102", "530302", "530402", "532502", "533102", "620102", "610102", "210102",
)  # fmt: skip
# Residence permits of Hong Kong, Macao and Taiwan residents (GB 11643 numbers too).
OVERSEAS_COUNTIES = ("810000", "820000", "830000")
RELATIONS = {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母"}
RESIDENCE_KINDS = (("户籍", 80.0), ("流动", 19.7), ("境外", 0.3))
ROAD_STEMS = "兰城正阳永昌龙泉保岫太保九龙青华文笔东风西山北门南门新华和平光明金鸡红旗"
ROAD_KINDS = "路街道巷"
# A house number holds 2 buildings × 2 units × 6 floors × 2 doors.
HOUSEHOLDS_PER_HOUSE = 48
HOUSE_NUMBERS_PER_GRID = 10
TODAY = date(2026, 11, 1)
OLDEST = 95


@dataclass(frozen=True, slots=True)
class GridSpot:
    """Where a grid's households live: a point inside it and the road its houses face."""

    code: str
    community_code: str
    district_code: str
    lng: float
    lat: float
    road: str
    first_house: int


@dataclass(frozen=True)
class Population:
    """What was written, for the report."""

    residents: int
    households: int
    path: Path


def grid_spots(plan: CityPlan) -> list[GridSpot]:
    """One spot per grid, its representative point (always inside, unlike a centroid).

    A community's grids share a road named after the community's position in
    the city, and each grid owns its own run of house numbers on it.
    """
    grids = [region for region in plan.regions if region.level is Level.GRID]
    points = shapely.point_on_surface([grid.geometry for grid in grids])
    roads: dict[str, str] = {}
    seen_in_community: dict[str, int] = {}
    spots = []
    for grid, point in zip(grids, points, strict=True):
        community = grid.parent_code or grid.code[:12]
        road = roads.setdefault(community, _road_name(len(roads)))
        position = seen_in_community.get(community, 0)
        seen_in_community[community] = position + 1
        spots.append(
            GridSpot(
                code=grid.code,
                community_code=community,
                district_code=grid.code[:6],
                lng=float(point.x),
                lat=float(point.y),
                road=road,
                first_house=position * HOUSE_NUMBERS_PER_GRID + 1,
            )
        )
    return spots


def _road_name(index: int) -> str:
    """A road name unique in the city: two stem characters and a kind, enumerated."""
    stems = len(ROAD_STEMS)
    first, rest = divmod(index, stems * len(ROAD_KINDS))
    second, kind = divmod(rest, len(ROAD_KINDS))
    prefix = ROAD_STEMS[first % stems] + ROAD_STEMS[second]
    return prefix + (str(first // stems + 1) if first >= stems else "") + ROAD_KINDS[kind]


def write_residents(path: Path, spots: list[GridSpot], *, residents: int, seed: int) -> Population:
    """Write `residents` rows, whole households, grids chosen at random for each household."""
    generator = _Generator(spots, random.Random(seed))
    path.parent.mkdir(parents=True, exist_ok=True)
    households = 0
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        while written < residents:
            rows = list(generator.household(residents - written))
            writer.writerows(rows)
            written += len(rows)
            households += 1
    return Population(written, households, path)


class _Generator:
    """The random draws of one file, in one order, so a seed fixes every byte."""

    def __init__(self, spots: list[GridSpot], rng: random.Random) -> None:
        self.spots = spots
        self.rng = rng
        self.filled = [0] * len(spots)
        self.issued: set[int] = set()
        self.surnames = [name for name, _ in SURNAMES]
        self.surname_weights = [weight for _, weight in SURNAMES]

    def household(self, at_most: int) -> Iterator[list[str]]:
        rng = self.rng
        size = min(rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS)[0], at_most)
        grid = rng.randrange(len(self.spots))
        spot = self.spots[grid]
        address, number = self._address(grid)
        kind = rng.choices([k for k, _ in RESIDENCE_KINDS], [w for _, w in RESIDENCE_KINDS])[0]
        moved_in = _spelled(rng, TODAY - timedelta(days=rng.randrange(30 * 365)))
        surname = rng.choices(self.surnames, self.surname_weights)[0]
        lng = f"{spot.lng + rng.uniform(-1e-5, 1e-5):.6f}"
        lat = f"{spot.lat + rng.uniform(-1e-5, 1e-5):.6f}"
        for role, age in self._members(size):
            family = surname if role in {"head", "child"} else self._surname()
            yield [
                family + self._given(),
                self._id_number(kind, spot.district_code, age),
                self._phone() if age >= 16 and rng.random() < 0.9 else "",
                kind,
                number,
                RELATIONS[role],
                address,
                spot.code,
                lng,
                lat,
                moved_in,
                _care_groups(rng, age, size),
            ]

    def _address(self, grid: int) -> tuple[str, str]:
        spot = self.spots[grid]
        serial = self.filled[grid]
        self.filled[grid] = serial + 1
        house, inside = divmod(serial, HOUSEHOLDS_PER_HOUSE)
        building, inside = divmod(inside, 24)
        unit, inside = divmod(inside, 12)
        floor, door = divmod(inside, 2)
        address = (
            f"{spot.road}{spot.first_house + house}号{building + 1}栋"
            f"{unit + 1}单元{floor + 1}0{door + 1}室"
        )
        return address, f"H{spot.code}{serial:05d}"

    def _members(self, size: int) -> Iterator[tuple[str, int]]:
        """The head, then a spouse, children and a parent at ages that fit together."""
        rng = self.rng
        head = rng.randint(22, 85) if size > 1 else rng.randint(18, OLDEST)
        yield "head", head
        roles = ["spouse", "child", "child", "parent", "child", "child"][: size - 1]
        for role in roles:
            if role == "spouse":
                yield role, max(18, head + rng.randint(-5, 5))
            elif role == "child":
                yield role, max(0, head - rng.randint(20, 38))
            else:
                yield role, min(OLDEST + 10, head + rng.randint(20, 35))

    def _surname(self) -> str:
        return self.rng.choices(self.surnames, self.surname_weights)[0]

    def _given(self) -> str:
        rng = self.rng
        return "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))

    def _id_number(self, kind: str, district: str, age: int) -> str:
        """A valid, never repeated GB 11643 number: county, birth date, sequence, check."""
        rng = self.rng
        while True:
            if kind == "境外":
                county = rng.choice(OVERSEAS_COUNTIES)
            elif kind == "流动":
                county = rng.choice(OTHER_COUNTIES)
            else:
                county = district
            born = TODAY - timedelta(days=age * 365 + rng.randrange(365))
            body = f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
            if int(body) not in self.issued:
                self.issued.add(int(body))
                return body + resident_id_check_char(body)

    def _phone(self) -> str:
        rng = self.rng
        return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _spelled(rng: random.Random, day: date) -> str:
    """The spellings of one date column in a real register, mixed."""
    pick = rng.random()
    if pick < 0.7:
        return day.isoformat()
    if pick < 0.9:
        return f"{day.year}/{day.month}/{day.day}"
    return f"{day.year}年{day.month}月{day.day}日"


def _care_groups(rng: random.Random, age: int, household_size: int) -> str:
    groups = []
    if household_size == 1 and age >= 70:
        groups.append("独居老人")
    if age < 16 and rng.random() < 0.03:
        groups.append("留守儿童")
    if rng.random() < 0.015:
        groups.append("残疾人")
    if rng.random() < 0.02:
        groups.append("低保")
    return "、".join(groups)


def reference_plan(grids: int) -> CityPlan:
    """The demo city every benchmark uses (Baoshan), at `grids` grids."""
    return plan_city(CITY, grid_count=grids, seed=CITY_SEED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=4_300_000)
    parser.add_argument("--grids", type=int, default=48_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    plan = reference_plan(args.grids)
    population = write_residents(
        args.out, grid_spots(plan), residents=args.residents, seed=args.seed
    )
    print(f"{population.residents} residents in {population.households} households")


if __name__ == "__main__":
    main()
