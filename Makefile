# Pathwise developer entry points. Everything installs into .venv from the
# hash-pinned requirements.lock; nothing needs to be installed by hand.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin
MEMBERS := contracts libs/pathwise-runtime libs/pathwise-devstack \
	services/assessment-svc services/profile-svc services/path-svc services/notify-svc
STUDENTS ?= 50

.PHONY: install demo test test-unit lint format bench lock contracts clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock $(foreach m,$(MEMBERS),$(m)/pyproject.toml)
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@test -x $(BIN)/python || $(UV) venv --quiet --python 3.11 $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps $(foreach m,$(MEMBERS),-e $(m))
	@touch $@

demo: install
	$(BIN)/pathwise demo --students $(STUDENTS) --verify-replay

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy contracts/src libs/pathwise-runtime/src libs/pathwise-devstack/src $(wildcard services/*/src)
	$(BIN)/pathwise contracts check

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest

test-unit: install
	$(BIN)/pytest -m unit

bench: install
	$(BIN)/pathwise bench

# Re-resolve and re-pin after changing a pyproject (uv.lock stays local).
lock:
	$(UV) lock
	$(UV) export --quiet --format requirements-txt --all-packages --all-groups \
		--no-emit-workspace --frozen -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
