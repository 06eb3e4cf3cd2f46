# AutoGen Ops — the two set-up commands are `make demo` and `make test`; both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := .run/stamps

.PHONY: help deps demo test test-ts test-eval test-py typecheck lint lint-py bench eval audit replay chaos clean

help:
	@echo "make demo   - start local Redis, the demo AutoGen fleet, the bot and the Slack sandbox with its web page (Ctrl-C stops all); DEMO_ONCE=1: one scripted diagnose"
	@echo "make test   - install what is missing, then typecheck, lint, Python bridge tests, unit/integration/e2e tests"
	@echo "make bench  - run every benchmark under bench/"
	@echo "make eval   - run the fault matrix: AutoGen apps written for it, faults injected, the bot's diagnose/perf/health answers scored"
	@echo "make chaos  - the chaos suite at full scale (Redis restart, bridge restart, SIGKILLed bots/workers, Slack 429/5xx, 2 bots + 3 workers under a 10k-alert storm, Redis Cluster failover and master SIGKILL), counts printed"
	@echo "make replay - replay Alertmanager notification sequences (storms, truncation, restamps, flapping, resends) through real Alertmanagers and check every incident's final state"
	@echo "make audit  - npm audit (production deps) and pip-audit (bridge venv); needs network to the advisory services, not part of make test"

# --- installation (idempotent; only what is missing) -------------------------------------------
# Re-checked when the Makefile changes (each install is skipped when already there), so a new tool arrives on old checkouts too.
$(STAMP)/apt: Makefile
	@mkdir -p $(STAMP)
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  echo "installing redis-server (Debian)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	fi
	@if ! command -v prometheus-alertmanager >/dev/null 2>&1; then \
	  echo "installing prometheus-alertmanager (Debian; the alert tests run a real Alertmanager)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null; \
	fi
	@if ! command -v prometheus >/dev/null 2>&1; then \
	  echo "installing prometheus (Debian; the live alert test runs Prometheus scraping a bridge)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	fi
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing chromium (Debian; the browser test drives the sandbox page with it)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-noto-color-emoji >/dev/null; \
	fi
	@touch $@

$(STAMP)/npm: package.json package-lock.json
	@mkdir -p $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMP)/venv: bridge/pyproject.toml bridge/setup.py bridge/src/autogen_ops_bridge/_speedups.c
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
	npx madge --circular --no-spinner src handlers

lint-py: $(STAMP)/venv
	cd bridge && ../$(VENV)/bin/ruff check . ../bench && ../$(VENV)/bin/mypy && ../$(VENV)/bin/mypy ../bench
	cd eval && ../$(VENV)/bin/ruff check . && ../$(VENV)/bin/mypy

# The bridge's C accelerator must have been built here (gcc and Python's headers are on this machine): a build
# that failed would leave the tests and benchmarks on the Python code without a word. The suite runs on the C
# code, then the tests of the hot path run again on the Python code it stands in for (AUTOGEN_OPS_BRIDGE_NO_C).
HOT_PATH_TESTS := tests/test_gate_paths.py tests/test_error_storm.py tests/test_stats.py tests/test_sampling.py \
  tests/test_agentchat.py tests/test_message_graph.py tests/test_speedups.py tests/test_attach.py
test-py: $(STAMP)/venv
	@$(PY) -c 'import autogen_ops_bridge._speedups' || { echo "the bridge's C accelerator was not built: see the pip output of make deps (rm -rf .run/stamps to retry)"; exit 1; }
	cd bridge && ../$(PY) -m pytest -q
	cd bridge && AUTOGEN_OPS_BRIDGE_NO_C=1 ../$(PY) -m pytest -q $(HOT_PATH_TESTS)

test-ts: deps
	AUTOGEN_OPS_PYTHON=$(abspath $(PY)) npx vitest run --exclude 'test/eval/**'

# The fault matrix runs on its own after the rest, so its applications do not compete with other tests.
test-eval: deps
	AUTOGEN_OPS_PYTHON=$(abspath $(PY)) npx vitest run test/eval

test: deps typecheck lint lint-py test-py test-ts test-eval

# The chaos suite (docs/operations.md, "Chaos suite"): test/chaos/ at full scale, plus the scenarios other tests
# already cover (they print their counts too); `make test` runs test/chaos/ bounded. Prints every count at the end.
CHAOS_COVERED := test/integration/diagnose-retry-window.test.ts test/integration/response-retry.test.ts
chaos: deps
	@mkdir -p .run/chaos && rm -f .run/chaos/counts.jsonl
	CHAOS_SCALE=full AUTOGEN_OPS_PYTHON=$(abspath $(PY)) npx vitest run test/chaos $(CHAOS_COVERED); status=$$?; \
	  npx tsx test/chaos/summary.ts .run/chaos/counts.jsonl; exit $$status

# The alert replay harness (test/integration/alerts-replay.test.ts; also part of test-ts).
replay: deps
	npx vitest run test/integration/alerts-replay.test.ts

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

# Known-vulnerability audit of the dependencies (docs/security.md, "Fuzzing and audits"). Not part of `make test`:
# it needs the advisory services (npm: registry.npmjs.org/-/npm/v1/security/advisories/bulk; pip-audit: pypi.org's
# JSON API, or api.osv.dev). pip-audit runs from its own venv (.run/audit-venv, installed on first use) over a
# freeze of the bridge venv, with --strict so a package it could not check fails the audit instead of passing.
AUDIT_VENV := .run/audit-venv
AUDIT_NET := make audit needs network access to the advisory services (npm: registry.npmjs.org advisories; pip-audit: pypi.org vulnerability data / api.osv.dev)

audit: $(STAMP)/npm $(STAMP)/venv
	@status=0; \
	echo "== npm audit --omit=dev"; \
	if ! npm audit --omit=dev; then status=1; echo "npm audit FAILED: vulnerabilities listed above, or the advisory service could not be reached. $(AUDIT_NET)." >&2; fi; \
	echo "== pip-audit (bridge venv)"; \
	if ! { test -x $(AUDIT_VENV)/bin/pip-audit || { python3 -m venv $(AUDIT_VENV) && $(AUDIT_VENV)/bin/pip install -q --disable-pip-version-check pip-audit; }; }; then \
	  status=1; echo "pip-audit could not be installed (needs PyPI). $(AUDIT_NET)." >&2; \
	else \
	  mkdir -p .run && $(PY) -m pip freeze --exclude-editable > .run/audit-requirements.txt; \
	  if ! $(AUDIT_VENV)/bin/pip-audit -r .run/audit-requirements.txt --no-deps --disable-pip --strict --progress-spinner off; then \
	    status=1; echo "pip-audit FAILED: vulnerabilities listed above, or packages it could not check (advisory service unreachable). $(AUDIT_NET)." >&2; fi; \
	fi; \
	if [ $$status -ne 0 ]; then echo "make audit: FAILED (see above)." >&2; else echo "make audit: no known vulnerabilities."; fi; \
	exit $$status

clean:
	rm -rf .run node_modules $(VENV)
