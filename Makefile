# Scanroom: `make run` starts the app with a demo programme; `make test` runs every test.
# Both work on a fresh clone: they create .venv, install, build the viewer and start what tests need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VIEWER := src/scanroom/web/static/viewer/viewer.js
FRONTEND_SOURCES := $(shell find frontend -path frontend/node_modules -prune -o -type f \( -name '*.ts' -o -name '*.css' -o -name '*.json' -o -name '*.js' -o -name '*.mjs' -o -name '*.html' \) -print 2>/dev/null)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint install viewer services clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

viewer: $(VIEWER)

$(VIEWER): $(FRONTEND_SOURCES)
	@command -v npm >/dev/null || { echo "npm is needed to build the viewer (Debian: apt-get install nodejs npm)"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build
	@touch $(VIEWER)

run: install viewer
	$(BIN)/scanroom seed demo
	$(BIN)/scanroom serve --host $(HOST) --port $(PORT)

services:
	@bash scripts/ensure-test-services.sh

test: install viewer services
	$(BIN)/python -m pytest -q

bench: install
	-@bash scripts/install-bench-deps.sh  # gVirtualXray (the X-ray peer); without it that comparison is skipped
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-columns=min,mean,median,max,rounds -q

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/scanroom
	$(BIN)/scanroom content lint
	$(BIN)/scanroom competency lint

clean:
	rm -rf $(VENV) frontend/node_modules src/scanroom/web/static/viewer var test-artifacts
