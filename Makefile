# Two entry points for a fresh machine (Python >= 3.11; npm for the conformance kits):
#   make serve   install the server and start it on the embedded SQLite store
#   make test    install everything and run lint, type checks, docs build and all tests
#   make test-fast   the tests not marked slow, without coverage (a quick check while editing)
#   make fuzz   schemathesis against a real server, v4 and v5 (FUZZ_EXAMPLES=400 by default)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DB ?= $(or $(TMF683_DB),./tmf683.db)
ARGS ?=

FUZZ_EXAMPLES ?= 400

.PHONY: serve test test-fast fuzz lint docs pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.server-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[server,postgres]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[server,postgres,test,lint,docs]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the newman conformance tests will be skipped"; \
	fi

serve: $(VENV)/.server-installed
	$(BIN)/tmf683-server --host $(HOST) --port $(PORT) --db $(DB) $(ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src tests examples benchmarks
	$(BIN)/mypy

docs: $(VENV)/.dev-installed
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

pytest: $(VENV)/.dev-installed node_modules/.installed
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest --cov --cov-report=term
	@# pytest-cov prints a total under fail_under and still exits 0: coverage's own
	@# report applies fail_under (pyproject.toml) and fails the target
	$(BIN)/python -m coverage report --format=total

test: lint docs pytest

test-fast: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -q -m "not slow"

fuzz: $(VENV)/.dev-installed
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/test_fuzz.py

clean:
	rm -rf $(VENV) node_modules docs/_build .pytest_cache .mypy_cache .ruff_cache .coverage*
