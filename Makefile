# newsclaims — every task a newcomer needs. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
SHARED ?= ../shared
export NEWSCLAIMS_DATA_DIR ?= $(CURDIR)/data

.PHONY: install run migrate test lint typecheck pytest eval eval-attribution eval-timex train bench openapi soak clean

# The environment: a venv with the package (editable) and its dev tools, pinned by requirements.lock.
$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

install: $(BIN)/.installed

migrate: install
	mkdir -p "$(NEWSCLAIMS_DATA_DIR)"
	$(BIN)/newsclaims migrate

run: migrate
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --proxy-headers --http app.core.server:HttpProtocol

lint: install
	$(BIN)/ruff check app tests bench evaluation training migrations
typecheck: install
	$(BIN)/mypy
pytest: install
	$(BIN)/pytest -q

# The README's test command: lint, types, then the suite (SQLite; also PostgreSQL when
# NEWSCLAIMS_TEST_DATABASE_URL is set, as .ci/run does).
test: lint typecheck pytest

openapi: install
	$(BIN)/python -m app.openapi > openapi/openapi.json

train: install
	$(BIN)/python -m training.attribution

eval: eval-attribution eval-timex
eval-attribution: install
	$(BIN)/python -m evaluation.attribution --shared $(SHARED)
eval-timex: install
	$(BIN)/python -m evaluation.timex --shared $(SHARED)

bench: install
	$(BIN)/python -m bench --shared $(SHARED)

soak: install
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
