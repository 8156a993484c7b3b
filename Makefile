# Pathwise developer entry points. Everything installs into .venv from the
# hash-pinned requirements.lock; nothing needs to be installed by hand.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin
MEMBERS := contracts libs/pathwise-runtime libs/pathwise-devstack \
	services/assessment-svc services/profile-svc services/path-svc services/notify-svc \
	services/portal
STUDENTS ?= 50
DEMO_FLAGS ?=
# The browser tests drive Debian's chromium by its path (PATHWISE_CHROMIUM overrides it,
# for a browser build of your own) and inject axe-core from tests-browser/node_modules.
CHROMIUM ?= $(or $(PATHWISE_CHROMIUM),/usr/bin/chromium)
BROWSER_TESTS := tests-browser

.PHONY: install browser demo test test-unit lint format bench lock contracts clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock $(foreach m,$(MEMBERS),$(m)/pyproject.toml)
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@test -x $(BIN)/python || $(UV) venv --quiet --python 3.11 $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps $(foreach m,$(MEMBERS),-e $(m))
	@touch $@

# What the browser tests need beyond .venv: axe-core (npm ci, pinned by the lock file)
# and a chromium. As root on Debian a missing chromium is installed with apt-get;
# otherwise the browser tests skip, saying how to install it.
browser: $(BROWSER_TESTS)/node_modules/.installed
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$(CHROMIUM)" = /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] \
		&& command -v apt-get >/dev/null 2>&1; then \
		echo "make: installing Debian's chromium for the browser tests (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; log=$$(mktemp); \
		{ apt-get update -qq && apt-get install -y -qq chromium; } >$$log 2>&1 \
			|| { cat $$log; echo "make: apt-get install chromium failed" >&2; exit 1; }; \
		rm -f $$log; \
	else \
		echo "make: no chromium at $(CHROMIUM): the browser tests will skip" \
			"(install it with 'sudo apt-get install chromium', or set PATHWISE_CHROMIUM)"; \
	fi

$(BROWSER_TESTS)/node_modules/.installed: $(BROWSER_TESTS)/package.json $(BROWSER_TESTS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(BROWSER_TESTS) && npm ci --silent --no-audit --no-fund && touch node_modules/.installed; \
	else \
		echo "make: npm not found: the browser tests will skip (install Node.js and npm)"; \
	fi

demo: install
	$(BIN)/pathwise demo --students $(STUDENTS) --verify-replay $(DEMO_FLAGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy contracts/src libs/pathwise-runtime/src libs/pathwise-devstack/src $(wildcard services/*/src)
	$(BIN)/lint-imports --no-cache  # layers and cycles: .importlinter, docs/architecture.md
	$(BIN)/pathwise contracts check

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint browser
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
