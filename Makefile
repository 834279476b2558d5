# ScaleReady: `make run` starts the app, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format bench loadtest clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required (none found on PATH)."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

# Local mode: SQLite and a file-based Celery broker under var/, loopback probe targets allowed.
run: export DEBUG := 1
run: export SCALEREADY_ALLOW_LOOPBACK_TARGETS := 1
run: export SITE_URL := http://$(HOST):$(PORT)
run: export HOST := $(HOST)
run: export PORT := $(PORT)
run: export WEB_CONCURRENCY := 2
run: export CELERY_CONCURRENCY := 2
run: export PATH := $(CURDIR)/$(BIN):$(PATH)
run: install
	rm -rf "$${SCALEREADY_VAR_DIR:-var}/prometheus"  # metrics samples of the previous run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_bank
	$(BIN)/python manage.py demo_setup
	exec $(BIN)/honcho start -f Procfile -p $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the import rules of docs/architecture.md

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m pytest tests/bench -q -s

# Production-like load test (granian + worker on PostgreSQL and Redis, Locust headless);
# not part of `make test`. Options: LOAD_USERS, LOAD_SECONDS, ... (tests/load/run.py).
loadtest: install
	$(BIN)/python -m pip install --quiet -e '.[dev,load]'
	$(BIN)/python -m tests.load.run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
