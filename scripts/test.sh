#!/usr/bin/env bash
# The whole check: lint, types, and every test on SQLite and a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

scripts/system-deps.sh
if CIVICGRID_TEST_POSTGRES_URL=$(scripts/pg.sh start); then
  export CIVICGRID_TEST_POSTGRES_URL
  trap 'scripts/pg.sh stop' EXIT
else
  echo "PostgreSQL could not be started: PostgreSQL tests will be skipped (fail under CI)" >&2
fi

$BIN/ruff check .
$BIN/ruff format --check .
$BIN/mypy
$BIN/lint-imports
# The slowest tests are listed at the end, so a run that grows slower shows where.
$BIN/python -m pytest -n "${CIVICGRID_TEST_WORKERS:-2}" --durations=30 "$@"
