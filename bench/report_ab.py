"""One month's report by two source trees, interleaved: the code before a change and after.

Each round runs both trees (the order alternating), each in a process of its own with its
own archive (an archive keeps one rollup per folder, and a format change rewrites it: give
the tree after the change a copy, e.g. `cp -al`, once its compaction has run on it), and
prints each report's wall and CPU seconds (`--repeat` per process; the first pays the
imports); then checks that the last reports of the two are identical, cell for cell.

    python bench/report_ab.py --before /tmp/base/src ARCHIVE --after src ARCHIVE_COPY
        [--rounds 4] [--repeat 3] [--month 2026-11]

The code before can be taken out of git without a second worktree:
`git archive <commit> src | tar -x -C /tmp/base`.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", nargs=2, metavar=("SRC", "ARCHIVE"))
    parser.add_argument("--after", nargs=2, metavar=("SRC", "ARCHIVE"))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--child", nargs=2, metavar=("ARCHIVE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), args.child[1], args.month, args.repeat)
        return
    if not (args.before and args.after):
        parser.error("--before and --after are both needed")
    sides = {"before": args.before, "after": args.after}
    with tempfile.TemporaryDirectory() as out:
        for number in range(args.rounds):
            for side in ("before", "after") if number % 2 == 0 else ("after", "before"):
                source, archive = sides[side]
                command = [sys.executable, __file__, "--child", archive, f"{out}/{side}"]
                command += ["--month", args.month, "--repeat", str(args.repeat)]
                environment = {**os.environ, "PYTHONPATH": str(Path(source).resolve())}
                done = subprocess.run(
                    command, env=environment, capture_output=True, text=True, check=True
                )
                print(side, done.stdout.strip().replace("\n", " | "))
        for kind in ("cells", "grids"):
            one = pq.read_table(f"{out}/before-{kind}.parquet")
            other = pq.read_table(f"{out}/after-{kind}.parquet")
            print(f"{kind}: {one.num_rows:,} rows, identical: {one.equals(other)}")


def _child(archive: Path, out: str, month: str, repeat: int) -> None:
    """Runs in the tree under test (PYTHONPATH): its report, timed, saved for the check."""
    from civicgrid.diagnosis.engines import DuckDBEngine  # noqa: PLC0415 - the tree's own
    from civicgrid.diagnosis.report import compute  # noqa: PLC0415 - the tree's own

    engine = DuckDBEngine(archive)
    for number in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        figures = compute(engine, month, {})
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        load = os.getloadavg()[0]
        print(f"run {number}: wall {wall:.3f} s, CPU {used:.3f} s, load {load:.1f}", flush=True)
    pq.write_table(figures.cells, f"{out}-cells.parquet")
    pq.write_table(figures.grids, f"{out}-grids.parquet")


if __name__ == "__main__":
    main()
