# AutoGen Ops — the two set-up commands are `make demo` and `make test`; both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := .run/stamps

.PHONY: help deps demo test test-ts test-eval test-py typecheck lint lint-py bench eval clean

help:
	@echo "make demo   - start local Redis, the demo AutoGen fleet with a fault, the Slack sandbox and the bot; run /autogen diagnose ChatAgent"
	@echo "make test   - install what is missing, then typecheck, lint, Python bridge tests, unit/integration/e2e tests"
	@echo "make bench  - run every benchmark under bench/"
	@echo "make eval   - run the fault matrix: AutoGen apps written for it, faults injected, the bot's diagnose/perf/health answers scored"

# --- installation (idempotent; only what is missing) -------------------------------------------
$(STAMP)/apt:
	@mkdir -p $(STAMP)
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  echo "installing redis-server (Debian)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi
	@if ! command -v prometheus-alertmanager >/dev/null 2>&1; then \
	  echo "installing prometheus-alertmanager (Debian; the alert tests run a real Alertmanager)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null; \
	fi
	@touch $@

$(STAMP)/npm: package.json package-lock.json
	@mkdir -p $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMP)/venv: bridge/pyproject.toml
	@mkdir -p $(STAMP)
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e 'bridge[dev]'
	@touch $@

deps: $(STAMP)/apt $(STAMP)/npm $(STAMP)/venv

# --- the main job on embedded defaults ----------------------------------------------------------
demo: deps
	AUTOGEN_OPS_PYTHON=$(abspath $(PY)) npx tsx src/cli.ts demo

# --- the gate -----------------------------------------------------------------------------------
typecheck: $(STAMP)/npm
	npx tsc --noEmit -p tsconfig.json

lint: $(STAMP)/npm
	npx eslint .

lint-py: $(STAMP)/venv
	cd bridge && ../$(VENV)/bin/ruff check . ../bench && ../$(VENV)/bin/mypy
	cd eval && ../$(VENV)/bin/ruff check . && ../$(VENV)/bin/mypy

test-py: $(STAMP)/venv
	cd bridge && ../$(PY) -m pytest -q

test-ts: deps
	AUTOGEN_OPS_PYTHON=$(abspath $(PY)) npx vitest run --exclude 'test/eval/**'

# The fault matrix runs on its own after the rest, so its applications do not compete with other tests.
test-eval: deps
	AUTOGEN_OPS_PYTHON=$(abspath $(PY)) npx vitest run test/eval

test: deps typecheck lint lint-py test-py test-ts test-eval

$(STAMP)/valgrind:
	@mkdir -p $(STAMP)
	@if ! command -v valgrind >/dev/null 2>&1; then \
	  echo "installing valgrind (Debian; bench/bridge_instructions.py counts instructions with callgrind)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; \
	fi
	@touch $@

bench: deps $(STAMP)/valgrind
	AUTOGEN_OPS_PYTHON=$(abspath $(PY)) bash bench/run-all.sh

# The fault matrix (test/eval/, apps in eval/fault_apps): prints the table and "N of M cases right".
eval: deps
	AUTOGEN_OPS_PYTHON=$(abspath $(PY)) npx tsx test/eval/run.ts

clean:
	rm -rf .run node_modules $(VENV)
