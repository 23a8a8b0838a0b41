# Maillage: the two commands of the README, and the steps they stand on.
# `make demo` installs everything and serves the product with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install lint

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/maillage migrate --noinput
	$(BIN)/maillage demo
	@# The worker runs the background tasks (imports, receipts in batches, refreshes) beside the web server.
	$(BIN)/maillage worker --verbosity 0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/maillage serve $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	@# The layers of docs/architecture.md, as the contract in pyproject.toml states them (decision 0019).
	PYTHONPATH=src $(BIN)/lint-imports
	PYTHONPATH=src $(BIN)/mypy
