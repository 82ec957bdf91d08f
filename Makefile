# Two commands do everything on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
PYTEST_WORKERS ?= 2

.PHONY: setup demo test lint format bench doctor airflow prodlike clean

setup: $(VENV)/.installed ## create .venv and install everything (idempotent)

$(VENV)/.installed: requirements.txt pyproject.toml scripts/install-system-deps.sh
	scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION) 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

demo: setup ## run every DAG once on embedded defaults and print a summary
	$(BIN)/python scripts/demo.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint ## lint + tests on SQLite and PostgreSQL with the coverage gate
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --cov --cov-report=term

bench: setup ## benchmarks as ratios; table on stdout, figures in .bench/results.json
	$(BIN)/python -m benchmarks

doctor: setup ## ponton doctor against the demo set-up (run make demo first)
	$(BIN)/python scripts/demo.py --doctor

airflow: setup ## Airflow standalone with ponton wired in (see README for the login)
	$(BIN)/python scripts/demo.py --standalone

clean:
	rm -rf .demo .bench .coverage .coverage.* htmlcov .pytest_cache .ruff_cache

prodlike: setup ## every DAG on CeleryExecutor + PostgreSQL + Redis, on loopback; stops what it starts
	$(BIN)/python scripts/prodlike.py
