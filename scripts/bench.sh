#!/usr/bin/env bash
# The locator benchmark: civicgrid against PostGIS ST_Contains on the scaled demo city.
# Called by `make bench` (after scripts/system-deps.sh --bench); arguments go to bench/locate.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/locate.py "$@"
