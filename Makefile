# The two commands a newcomer needs: `make run` and `make test`. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG ?= cove.toml

.PHONY: setup browser run test lint typecheck pytest clean messages

# Python keeps the project's compiled modules (__pycache__, ignored by git) even where the
# environment says not to: the tests start hundreds of `cove` processes, and each would
# otherwise compile every module it imports again (about twice the start-up time).
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Cove needs Python 3.11 or newer on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

# The browser tests (tests/browser) drive Debian's Chromium: install it where it is missing.
# If that fails, the run goes on and those tests fail saying why.
CHROMIUM := /usr/bin/chromium
AS_ROOT := $(shell [ "$$(id -u)" = 0 ] || echo sudo) env DEBIAN_FRONTEND=noninteractive
browser:
	@test -x $(CHROMIUM) || { echo "Installing Chromium for the browser tests (apt-get)"; \
	  $(AS_ROOT) apt-get install -y -q chromium \
	  || { $(AS_ROOT) apt-get update -q && $(AS_ROOT) apt-get install -y -q chromium; } \
	  || echo "!!! Chromium could not be installed: the browser tests will fail" >&2; }

run: setup
	$(BIN)/cove --config $(CONFIG) init
	$(BIN)/cove --config $(CONFIG) serve

lint: setup
	$(BIN)/ruff check node federation moderation schemas tests
	$(BIN)/ruff format --check node federation moderation schemas tests

typecheck: setup
	$(BIN)/mypy

# Three test processes on two cores: most tests wait on loopback servers, subprocesses and
# the database, so a third keeps the cores busy (the longest modules are handed out first:
# tests/conftest.py LONGEST_FIRST).
TEST_PROCESSES ?= 3
pytest: setup browser
	$(BIN)/pytest -n $(TEST_PROCESSES)

test: lint typecheck pytest

# The pages' words: extract them from the templates, the pages' code and the reasons errors give
# (node/locale/extraction.py), and keep each language's catalogue in step
# (new words arrive untranslated; the tests say which).
messages: setup
	$(BIN)/pybabel extract -F node/locale/babel.cfg $$($(BIN)/python -m node.locale.extraction) \
		--no-location --sort-output --omit-header -o node/locale/cove.pot .
	$(BIN)/pybabel update -i node/locale/cove.pot -o node/locale/es/cove.po -l es \
		--no-fuzzy-matching --width=100

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

bench: setup
	$(BIN)/python -m bench
