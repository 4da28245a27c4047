"""Sensor readings from MQTT through the threshold rules into the Parquet store, against
row inserts of the same readings into PostgreSQL.

A scratch platform database (SQLite) holds a small city (four districts, a grid
each), `--devices` water-level sensors and one threshold rule (water level over 3.5 m
for 10 minutes raises `water_level_high`). Debian's mosquitto runs with the files
`civicgrid alarms broker-files` writes (per-device passwords and ACL). The listener
(`civicgrid.alarms.listener`, the same code `civicgrid alarms listen` runs) runs in
this process; a second process connects as every device with the device's own
credentials and publishes QoS 1 batches of `--batch` readings (one a second per
device, a random walk around 2 m that crosses the limit now and then), as fast as the
broker takes them. The clock runs from the first publish until the last reading is in
a Parquet file; every reading must then be there exactly once.

The alternative, in the same run: the same readings as row inserts into PostgreSQL
(`executemany` of `INSERT … ON CONFLICT DO NOTHING` on a table whose primary key is
the reading's identity, so it refuses repeats as the store does), one transaction per
batch as the listener acknowledges a batch, one connection, over `--pg-readings` of them.

    .venv/bin/python bench/alarms.py [--readings 2000000] [--batch 500] [--devices 40]
        [--pg-readings 500000] [--pg-url URL]

Without `--pg-url` a throwaway cluster is started with scripts/pg.sh under
var/pg-bench-alarms (port 54338); with it, a database civicgrid_bench_readings is
dropped and created there. Figures go to stdout as markdown.
"""

import argparse
import json
import multiprocessing
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from paho.mqtt.enums import CallbackAPIVersion
from shapely.geometry import box
from sqlalchemy import func, select

from civicgrid.alarms.broker import BrokerAddress, write_broker_files
from civicgrid.alarms.device_keys import hash_key
from civicgrid.alarms.listener import start_listener
from civicgrid.alarms.models import Alarm, Device, DeviceStatus
from civicgrid.alarms.thresholds import ThresholdInput, create_threshold
from civicgrid.categories.seeds import seed_builtin
from civicgrid.console import console_actor
from civicgrid.db import create_db_engine, make_session_factory, normalise_url, upgrade_database
from civicgrid.divisions import Level, child_code
from civicgrid.geo.records import RegionRecord
from civicgrid.geo.service import save_regions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import BenchPlace, fresh_database

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-alarms"
PLACE = BenchPlace("civicgrid_bench_readings", WORK, ROOT / "var" / "pg-bench-alarms", "54338")
TOPIC_ROOT = "civicgrid/devices"
LISTENER = BrokerAddress("127.0.0.1", 0, "civicgrid-listener", "bench-listener-secret")
DEVICE_KEY = "cgd_bench-device-key-shared-by-every-benchmark-sensor"
DISTRICTS = {"530502": 99.10, "530521": 99.20, "530523": 99.30, "530524": 99.35}
LIMIT = 3.5


def main() -> None:
    args = _arguments()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    devices = _platform(args.devices)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=47)
    payloads = _payloads(devices, args.readings, args.batch, start)
    total = sum(count for _, _, count in payloads)
    mqtt_result = _through_mqtt(devices, payloads, total)
    with fresh_database("postgresql", args.pg_url, PLACE) as url:
        pg_result = _postgres(url, payloads, args.pg_readings)
    _report(args, total, mqtt_result, pg_result)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--devices", type=int, default=40)
    parser.add_argument("--pg-readings", type=int, default=500_000)
    parser.add_argument("--pg-url", default=None)
    return parser.parse_args()


def _platform(count: int) -> list[tuple[str, str]]:
    """The scratch platform database: city, rule, devices; returns (code, grid) pairs."""
    os.environ["CIVICGRID_DATABASE_URL"] = f"sqlite:///{WORK / 'platform.db'}"
    os.environ["CIVICGRID_DATA_DIR"] = str(WORK / "var")
    engine = create_db_engine(os.environ["CIVICGRID_DATABASE_URL"])
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    with sessions() as db:
        grids = _city(db)
        seed_builtin(db)
        key_hash = hash_key(DEVICE_KEY)
        devices = []
        for number in range(count):
            grid, (lng, lat) = grids[number % len(grids)]
            code = f"{grid[:6]}00081346{number + 1:06d}"
            db.add(
                Device(
                    code=code,
                    kind="water_level_sensor",
                    name=f"水位计{number + 1}",
                    lng=lng,
                    lat=lat,
                    region_code=grid,
                    status=DeviceStatus.OFFLINE.value,
                    key_hash=key_hash,
                )
            )
            devices.append((code, grid))
        rule = ThresholdInput(
            device_kind="water_level_sensor",
            measure="water_level",
            comparison=">",
            limit=LIMIT,
            duration_seconds=600,
            alarm_type="water_level_high",
        )
        create_threshold(db, console_actor(), rule)
        db.commit()
    engine.dispose()
    return devices


def _city(db: object) -> list[tuple[str, tuple[float, float]]]:
    records = [
        RegionRecord("530000", "云南省", Level.PROVINCE, None),
        RegionRecord("530500", "保山市", Level.CITY, "530000", box(99.0, 25.0, 99.5, 25.4)),
    ]
    grids = []
    for district, x0 in DISTRICTS.items():
        area = box(x0, 25.1, x0 + 0.04, 25.14)
        street = child_code(district, 1)
        community = child_code(street, 1)
        grid = child_code(community, 1)
        records += [
            RegionRecord(district, f"区{district}", Level.DISTRICT, "530500", area),
            RegionRecord(street, f"街道{street}", Level.STREET, district, area),
            RegionRecord(community, f"社区{community}", Level.COMMUNITY, street, area),
            RegionRecord(grid, f"网格{grid}", Level.GRID, community, area),
        ]
        grids.append((grid, (x0 + 0.02, 25.12)))
    save_regions(db, records, kind="bench", summary="benchmark city")  # type: ignore[arg-type]
    return grids


def _payloads(
    devices: list[tuple[str, str]], readings: int, batch: int, start: datetime
) -> list[tuple[str, str, int]]:
    """(device code, JSON, readings) in publishing order: the devices take turns."""
    rng = random.Random(20261206)
    per_device = readings // len(devices)
    levels = {code: 2.0 for code, _ in devices}
    out = []
    for first in range(0, per_device, batch):
        for code, _ in devices:
            items = []
            for second in range(first, min(first + batch, per_device)):
                levels[code] = min(5.0, max(0.0, levels[code] + rng.gauss(0, 0.02)))
                at = (start + timedelta(seconds=second)).isoformat()
                items.append({"measure": "water_level", "at": at, "value": round(levels[code], 3)})
            out.append((code, json.dumps({"readings": items}), len(items)))
    return out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _through_mqtt(
    devices: list[tuple[str, str]], payloads: list[tuple[str, str, int]], total: int
) -> dict[str, float]:
    address = BrokerAddress("127.0.0.1", _free_port(), LISTENER.username, LISTENER.password)
    engine = create_db_engine(os.environ["CIVICGRID_DATABASE_URL"])
    with make_session_factory(engine)() as db:
        write_broker_files(db, WORK / "mosquitto", address, TOPIC_ROOT)
    broker = subprocess.Popen(
        [
            shutil.which("mosquitto") or "/usr/sbin/mosquitto",
            "-c",
            str(WORK / "mosquitto" / "mosquitto.conf"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    readings_dir = WORK / "readings"
    listening = start_listener(
        make_session_factory(engine), address=address, root=TOPIC_ROOT, readings_dir=readings_dir
    )
    while not listening.listener.subscribed.is_set():
        time.sleep(0.05)
    began = multiprocessing.Value("d", 0.0)
    finished = multiprocessing.Value("d", 0.0)
    publisher = multiprocessing.Process(
        target=_publish, args=(address, payloads, began, finished), daemon=True
    )
    cpu_before = time.process_time()
    publisher.start()
    stored = 0
    while stored < total:
        time.sleep(0.2)
        stored = sum(pq.read_metadata(path).num_rows for path in readings_dir.rglob("r-*.parquet"))
    ended = time.time()
    cpu = time.process_time() - cpu_before
    publisher.join()
    listening.stop()
    broker.terminate()
    broker.wait()
    table = pa.concat_tables(pq.read_table(path) for path in readings_dir.rglob("r-*.parquet"))
    keys = pc.binary_join_element_wise(
        table["device_code"], pc.cast(table["measured_at"], pa.string()), "|"
    )
    with make_session_factory(engine)() as db:
        alarms = db.scalar(select(func.count()).select_from(Alarm)) or 0
    engine.dispose()
    return {
        "seconds": ended - began.value,
        "published_seconds": finished.value - began.value,
        "stored": table.num_rows,
        "distinct": len(pc.unique(keys)),
        "files": len(list(readings_dir.rglob("r-*.parquet"))),
        "partitions": len(list(readings_dir.glob("day=*/district=*"))),
        "bytes": sum(path.stat().st_size for path in readings_dir.rglob("r-*.parquet")),
        "alarms": alarms,
        "listener_cpu": cpu,
    }


def _publish(
    address: BrokerAddress,
    payloads: list[tuple[str, str, int]],
    began: "multiprocessing.sharedctypes.Synchronized[float]",
    finished: "multiprocessing.sharedctypes.Synchronized[float]",
) -> None:
    """Every device its own connection and credentials, as the broker's ACL requires."""
    clients: dict[str, mqtt.Client] = {}
    for code in dict.fromkeys(code for code, _, _ in payloads):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{code}")
        client.username_pw_set(code, DEVICE_KEY)
        client.max_inflight_messages_set(200)
        client.max_queued_messages_set(0)
        client.connect(address.host, address.port)
        client.loop_start()
        clients[code] = client
    time.sleep(1.0)
    began.value = time.time()
    sent = [
        clients[code].publish(f"{TOPIC_ROOT}/{code}/readings", text, qos=1)
        for code, text, _ in payloads
    ]
    for info in sent:
        info.wait_for_publish(timeout=600)
    finished.value = time.time()
    for client in clients.values():
        client.disconnect()
        client.loop_stop()


def _postgres(url: str, payloads: list[tuple[str, str, int]], limit: int) -> dict[str, float]:
    grid_of: dict[str, str] = {}
    rows_by_batch = []
    taken = 0
    now = datetime.now(UTC)
    for code, text, count in payloads:
        if taken >= limit:
            break
        grid_of.setdefault(code, f"{code[:6]}001001001")
        items = json.loads(text)["readings"]
        rows_by_batch.append(
            [
                (
                    code,
                    "water_level_sensor",
                    r["measure"],
                    datetime.fromisoformat(r["at"]),
                    r["value"],
                    now,
                    grid_of[code],
                )
                for r in items
            ]
        )
        taken += count
    dsn = normalise_url(url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        connection.execute(
            "CREATE TABLE sensor_readings (device_code text, device_kind text, measure text,"
            " measured_at timestamptz, value float8, received_at timestamptz, region_code text,"
            " PRIMARY KEY (device_code, measure, measured_at))"
        )
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for rows in rows_by_batch:
                cursor.executemany(
                    "INSERT INTO sensor_readings VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    rows,
                )
                connection.commit()
        seconds = time.perf_counter() - started
        stored = connection.execute("SELECT count(*) FROM sensor_readings").fetchone()
        size = connection.execute("SELECT pg_total_relation_size('sensor_readings')").fetchone()
    return {
        "seconds": seconds,
        "stored": stored[0] if stored else 0,
        "bytes": size[0] if size else 0,
        "readings": taken,
    }


def _report(
    args: argparse.Namespace, total: int, mqtt_result: dict[str, float], pg: dict[str, float]
) -> None:
    rate = total / mqtt_result["seconds"]
    pg_rate = pg["readings"] / pg["seconds"]
    load = os.getloadavg()
    print(
        f"## Result ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load[0]:.1f} "
        f"at the end, on {os.cpu_count()} cores shared with other work)\n"
    )
    print("| path | readings | seconds | readings/s |")
    print("|---|---:|---:|---:|")
    print(
        f"| MQTT (QoS 1, batches of {args.batch}) → thresholds → Parquet | {total:,} | "
        f"{mqtt_result['seconds']:.2f} | **{rate:,.0f}** |"
    )
    print(
        f"| PostgreSQL row inserts (executemany, a transaction per batch of {args.batch}) | "
        f"{pg['readings']:,} | {pg['seconds']:.2f} | {pg_rate:,.0f} |"
    )
    print(f"\nParquet / PostgreSQL = {rate / pg_rate:.1f}×\n")
    print("| check | |")
    print("|---|---:|")
    print(f"| readings stored (Parquet) | {mqtt_result['stored']:,} |")
    print(f"| distinct (device, time) | {mqtt_result['distinct']:,} |")
    print(f"| publisher finished after | {mqtt_result['published_seconds']:.2f} s |")
    print(f"| bench process CPU (listener, file count) | {mqtt_result['listener_cpu']:.1f} s |")
    print(
        f"| readings per CPU-second of that process | {total / mqtt_result['listener_cpu']:,.0f} |"
    )
    print(f"| files / partitions | {mqtt_result['files']:.0f} / {mqtt_result['partitions']:.0f} |")
    print(f"| Parquet bytes per reading | {mqtt_result['bytes'] / total:.1f} |")
    print(
        f"| PostgreSQL bytes per reading (table + primary key) | {pg['bytes'] / pg['stored']:.1f} |"
    )
    print(f"| threshold alarms raised | {mqtt_result['alarms']:.0f} |")
    print(f"| devices | {args.devices} |")
    print(f"\n{platform.platform()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
