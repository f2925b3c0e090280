# The two commands a newcomer needs:  make run   and   make test
# Both create .venv and install the project (with its test extras) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres lint typecheck migrate bench install

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# Migrated database, antennas loaded, scheduler running; `make run DEMO=1` adds fictional demo data.
run: $(STAMP)
	$(BIN)/buurtbank serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000} $(if $(DEMO),--demo,)

# The whole suite, on SQLite and on the real PostgreSQL.
test: $(STAMP)
	scripts/test

test-sqlite: $(STAMP)
	$(BIN)/pytest

test-postgres: $(STAMP)
	BUURTBANK_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest

# ruff and mypy: what scripts/test runs before the tests.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy api domain store services scheduler buurtbank stats

# mypy with the pydantic plugin; strict for domain/ and services/ (configured in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy api domain store services scheduler buurtbank stats

migrate: $(STAMP)
	$(BIN)/buurtbank migrate

bench: $(STAMP)
	$(BIN)/python bench/matching.py --small
