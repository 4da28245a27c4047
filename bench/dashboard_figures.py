"""The command centre's first figures (`analytics.dashboard.dashboard`) at 20,000 open cases,
this checkout's code against another revision's, in one run, interleaved.

The page's first render waits for these figures (bench/case_layer.py): the leader's picture
of the whole city is computed on the database bench/case_layer.py builds (run that first).
The other revision's `analytics/dashboard.py` is read with `git show` and loaded beside this
checkout's, so both count the same rows at the same load; each round times one of each,
taking turns which goes first. Both must give the same figures, or the run stops. When this
checkout's schema adds indexes, `--before-database` names a copy of the database taken before
`civicgrid migrate` added them, so the other revision runs on its own schema.

    PYTHONPATH=src .venv/bin/python bench/dashboard_figures.py [--against REV] [--rounds 15]
        [--before-database COPY]
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.analytics import dashboard
from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.db import create_db_engine
from civicgrid.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[1]
DATABASE = ROOT / "var" / "bench-case-layer" / "civicgrid.db"
MODULE = "src/civicgrid/analytics/dashboard.py"
LEADER = Actor(kind="user", role=Role.LEADER, scope_code="530500", username="leader")


def main() -> None:
    args = _arguments()
    if not DATABASE.is_file():
        raise SystemExit(f"{DATABASE} is missing: run bench/case_layer.py first")
    before = _revision_module(args.against)
    engine = create_db_engine(f"sqlite:///{DATABASE}")
    before_engine = create_db_engine(f"sqlite:///{args.before_database or DATABASE}")
    timings: dict[str, list[float]] = {"before": [], "after": []}
    with Session(engine) as db, Session(before_engine) as before_db:
        now = utcnow()
        contenders: dict[str, Callable[[], Any]] = {
            "before": lambda: before.dashboard(before_db, LEADER, now=now),
            "after": lambda: dashboard.dashboard(db, LEADER, now=now),
        }
        _same_figures(contenders["before"](), contenders["after"]())
        for round_ in range(args.rounds):
            order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
            for name in order:
                started = time.perf_counter()
                contenders[name]()
                timings[name].append(time.perf_counter() - started)
    engine.dispose()
    before_engine.dispose()
    print(f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    for name, values in timings.items():
        median, most = statistics.median(values) * 1000, max(values) * 1000
        print(f"{name}: median {median:.0f} ms, max {most:.0f}")
    ratio = statistics.median(timings["before"]) / statistics.median(timings["after"])
    print(f"before / after: {ratio:.1f}x")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD~1", help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--before-database", type=Path, help="a copy on the older schema")
    return parser.parse_args()


def _revision_module(revision: str) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{revision}:{MODULE}"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    spec = importlib.util.spec_from_loader("dashboard_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    exec(compile(source, f"{revision}:{MODULE}", "exec"), module.__dict__)
    return module


def _same_figures(before: Any, after: Any) -> None:
    fields = ("open", "overdue", "reported_today", "closed_today", "trend")
    for field in fields:
        if getattr(before, field) != getattr(after, field):
            raise SystemExit(
                f"{field} differs: {getattr(before, field)} != {getattr(after, field)}"
            )
    as_tuples = [
        [(c.code, c.open, c.overdue, c.today) for c in p.children] for p in (before, after)
    ]
    if as_tuples[0] != as_tuples[1]:
        raise SystemExit("the children's figures differ")


if __name__ == "__main__":
    main()
