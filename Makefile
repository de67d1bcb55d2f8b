# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/metrics.duckdb
PORT   ?= 8501

.PHONY: run serve test lint format build check bench clean

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

# Several processes behind nginx (Debian's package): `make serve REPLICAS=4`; nginx on PORT,
# the processes on the next ports; Ctrl-C stops all (metrics/ui/serve.py).
REPLICAS ?= 2

serve: build
	$(BIN)/python -m metrics serve --db $(DB) --replicas $(REPLICAS) --port $(PORT)

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
	rm -rf $(VENV) data/*.duckdb data/.*.duckdb.builds data/.serve test-artifacts .pytest_cache .ruff_cache
