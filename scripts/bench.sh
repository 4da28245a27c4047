#!/usr/bin/env bash
# Every benchmark, figures as markdown on stdout (see bench/RESULTS.md).
# Called by `make bench` (after scripts/system-deps.sh --bench). The classifier and
# duplicate benchmarks read the real messages in ../shared/data and are skipped without them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY bench/locate.py
$PY bench/intake.py
$PY bench/registry.py --residents 1000000
$PY bench/pages.py
$PY bench/sos.py
$PY bench/demo_start.py
if [ -d ../shared/data/messages ]; then
  $PY bench/classifier.py
  $PY bench/duplicates.py
else
  echo "../shared/data/messages not found: classifier and duplicate benchmarks skipped" >&2
fi
