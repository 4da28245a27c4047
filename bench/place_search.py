"""The address search box (GET /api/v1/registry/places) on a registry of ~100,000 addresses.

Standard addresses road → house number → building → unit → room are made through the
registry's own `ensure_addresses` over the grids of the reference city (one road and one
小区 per community), then `search_places` is timed for what a clerk types: part of a
road or 小区 name, the start of a full address, part of a region name; as a city
administrator (the whole city in scope) and as a street dispatcher.

    PYTHONPATH=src .venv/bin/python bench/place_search.py --sqlite var/bench-places.db \
        --pg-url postgresql://postgres@127.0.0.1:5432/bench_places
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.db import create_db_engine, upgrade_database
from civicgrid.geo.service import GridIndex, save_regions
from civicgrid.registry.addresses import AddressInput, ensure_addresses
from civicgrid.registry.models import Address
from civicgrid.registry.places import search_places

sys.path.insert(0, str(Path(__file__).resolve().parent))
from registry_city import CITY, GridSpot, grid_spots, reference_plan

BATCH = 1000


def addresses_of(spot: GridSpot, houses: int) -> list[AddressInput]:
    """Rooms on the community's road and in its 小区, each with the grid's point."""
    estate = spot.road[:2] + "花园小区"
    texts = [
        f"{spot.road}{spot.first_house + house}号{building}栋{unit}单元{floor}0{room}室"
        for house in range(houses)
        for building in (1, 2)
        for unit in (1, 2)
        for floor, room in ((1, 1), (2, 2), (3, 1))
    ]
    texts += [
        f"{estate}{building}栋{unit}单元{room}室"
        for building in (1, 2)
        for unit in (1, 2)
        for room in (101, 202)
    ]
    return [AddressInput(text, spot.lng, spot.lat) for text in texts]


def build(url: str, grids: int, houses: int) -> tuple[list[GridSpot], int]:
    plan = reference_plan(grids)
    database = create_db_engine(url)
    upgrade_database(database)
    spots = grid_spots(plan)
    index = GridIndex()
    with Session(database) as db:
        save_regions(db, plan.regions, kind="bench", summary="bench/place_search.py")
        db.commit()
        pending = [item for spot in spots for item in addresses_of(spot, houses)]
        for start in range(0, len(pending), BATCH):
            ensure_addresses(db, pending[start : start + BATCH], grid_index=index)
            db.commit()
        count = db.scalar(select(func.count()).select_from(Address)) or 0
    database.dispose()
    return spots, count


def queries(spots: list[GridSpot], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    asked = []
    for _ in range(count):
        spot = rng.choice(spots)
        shape = rng.randrange(4)
        if shape == 0:
            asked.append(spot.road[1:])  # part of a road's name
        elif shape == 1:
            asked.append(f"{spot.road}{spot.first_house}号")  # the start of an address
        elif shape == 2:
            asked.append(spot.road[:2] + "花园")  # part of a 小区's name
        else:
            asked.append(spot.road[:2])  # two characters: the broadest search a box allows
    return asked


def timed(url: str, actor: Actor, asked: list[str], limit: int) -> dict[str, float]:
    database = create_db_engine(url)
    index = GridIndex()
    latencies = []
    cpu = []
    found = 0
    with Session(database) as db:
        search_places(db, actor, grid_index=index, text=asked[0], limit=limit)  # warm-up
        for text in asked:
            began, began_cpu = time.perf_counter(), time.process_time()
            found += len(search_places(db, actor, grid_index=index, text=text, limit=limit))
            latencies.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
    database.dispose()
    cuts = statistics.quantiles(latencies, n=100)
    cpu_cuts = statistics.quantiles(cpu, n=100)
    return {
        "p50": cuts[49],
        "p99": cuts[98],
        "cpu_p50": cpu_cuts[49],
        "cpu_p99": cpu_cuts[98],
        "mean_hits": found / len(asked),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=Path)
    parser.add_argument("--pg-url")
    parser.add_argument("--grids", type=int, default=2000)
    parser.add_argument("--houses", type=int, default=3)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    urls = {}
    if args.sqlite:
        args.sqlite.unlink(missing_ok=True)
        urls["sqlite"] = f"sqlite:///{args.sqlite}"
    if args.pg_url:
        urls["postgresql"] = args.pg_url
    for engine, url in urls.items():
        began = time.perf_counter()
        spots, count = build(url, args.grids, args.houses)
        seconds = time.perf_counter() - began
        print(f"[{engine}] {count:,} addresses over {len(spots):,} grids in {seconds:.0f} s")
        asked = queries(spots, args.queries, args.seed)
        street = spots[0].code[:9]
        for label, actor in (
            ("city administrator", Actor(kind="user", role=Role.ADMIN, scope_code=CITY)),
            ("street dispatcher", Actor(kind="user", role=Role.DISPATCHER, scope_code=street)),
        ):
            figures = timed(url, actor, asked, 10)
            print(
                f"[{engine}] {label}: p50 {figures['p50']:.2f} ms, p99 {figures['p99']:.2f} ms "
                f"(this process's CPU: p50 {figures['cpu_p50']:.2f} ms, "
                f"p99 {figures['cpu_p99']:.2f} ms), "
                f"{figures['mean_hits']:.1f} suggestions a search ({len(asked)} searches)"
            )


if __name__ == "__main__":
    main()
