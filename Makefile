# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/metrics.duckdb
PORT   ?= 8501

.PHONY: run test lint format build check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

build: $(VENV)/.runtime
	METRICS_DB=$(DB) $(BIN)/python -m metrics build

check: $(VENV)/.runtime
	$(BIN)/python -m metrics check

run: build
	METRICS_DB=$(DB) $(BIN)/streamlit run dashboard.py --server.headless true --server.port $(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(VENV)/.dev lint build
	$(BIN)/python -m pytest

BENCH_FIGURES ?= 500000

bench: $(VENV)/.dev
	$(BIN)/python -m metrics bench --figures $(BENCH_FIGURES)

clean:
	rm -rf $(VENV) data/*.duckdb data/.*.duckdb.builds test-artifacts .pytest_cache .ruff_cache
