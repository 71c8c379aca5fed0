# skiff: SkiffOS-compatible targets, every one delegating to the `skiff` CLI in .venv.
#   make                      list packages, the selected chain and commands
#   make configure            SKIFF_CONFIG=pi/4,skiff/core make configure
#   make compile              build (resumes the saved chain when SKIFF_CONFIG is unset)
#   make br/<target>          any Buildroot target in the workspace (br/menuconfig saves a delta)
#   make cmd/<ns>/<name>/<c>  a package command, e.g. make cmd/pi/common/format
#   make shell / make env     a shell in the workspace's environment / print that environment
#   make graph                Buildroot's dependency graph and build-time charts (workspaces/<ws>/graphs/)
#   make legal-info           licenses and sources of the image (workspaces/<ws>/legal-info/)
#   make tui                  the full-screen UI;  make test   the whole test suite
#   make lint                 the quality gate: ruff, mypy, import contracts, shellcheck (docs/architecture.md)

PYTHON ?= python3
VENV ?= .venv
SKIFF := $(VENV)/bin/skiff
STAMP := $(VENV)/.skiff-installed
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core; PYTEST_JOBS=0 runs in this process.
PYTEST_JOBS ?= auto

.DEFAULT_GOAL := list
.PHONY: list help tui configure compile check clean shell env graph legal-info test lint bench setup

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip 'setuptools>=77'  # builds the wheel offline (tests/install)
	$(VENV)/bin/python -m pip install -q -e '.[test,lint]'
	@touch $@

setup: $(STAMP)

list help: $(STAMP)
	@$(SKIFF) list

tui: $(STAMP)
	@$(SKIFF) tui

configure compile check clean shell env graph legal-info: $(STAMP)
	@$(SKIFF) $@

br/%: $(STAMP)
	@$(SKIFF) br $*

cmd/%: $(STAMP)
	@$(SKIFF) cmd $(patsubst %/,%,$(dir $*)) $(notdir $*)

test: $(STAMP)
	$(VENV)/bin/python -m pytest -n $(PYTEST_JOBS) $(PYTEST_ARGS)

# Every tool runs even when an earlier one finds something; the target fails if any did.
lint: $(STAMP)
	@rc=0; \
	echo "== ruff check"; $(VENV)/bin/ruff check --no-cache . || rc=1; \
	echo "== ruff format"; $(VENV)/bin/ruff format --check --no-cache . || rc=1; \
	echo "== mypy"; $(VENV)/bin/mypy || rc=1; \
	echo "== lint-imports"; $(VENV)/bin/lint-imports --no-cache || rc=1; \
	echo "== shellcheck"; scripts/lint-shell || rc=1; \
	exit $$rc

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done
