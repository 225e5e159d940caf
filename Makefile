# Spine Recovery. Two commands on a fresh machine:  make chat  ·  make test
SHELL := /bin/bash
# The venv's interpreter is Python 3.12, the Lambda runtime's: scripts/python312 finds one (PATH, pyenv)
# or installs one with uv, once per make run. PYTHON=/path/to/python3.12 overrides it.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell scripts/python312)
endif
VENV := .venv
# Python's default: compiled modules are cached in __pycache__. Some machines turn that off, and then
# every test process compiles the skill and rewrites every test module again.
unexport PYTHONDONTWRITEBYTECODE
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-py312
# `make chat` needs only what the deployed function needs: its own small venv, the function's lock.
CHAT_VENV := .venv-chat
CHAT_STAMP := $(CHAT_VENV)/.installed-py312
DDB_STAMP := .tools/dynamodb-local/.installed
SMAPI_STAMP := .tools/ask-smapi-model/.installed

.PHONY: help install lock lint chat test unit soak chromium models check-models validate build load slow bench quality clean

help:
	@echo "make chat      talk to the skill in this terminal (installs the runtime only, into .venv-chat)"
	@echo "make test      install everything and run every test (each phase says its seconds)"
	@echo "make unit      the unit tests only: no Java, no Chromium, about half a minute"
	@echo "make soak      the functional suite 5 times in a row (SOAK_ROUNDS=N, SOAK_BUSY=1), to find flakes"
	@echo "make lock      re-resolve pyproject.toml into lambda/requirements.txt and requirements-dev.txt"
	@echo "make lint      ruff check and mypy (make test runs them too)"
	@echo "make models    regenerate skill-package/ from interaction_models/"
	@echo "make validate  sam validate --lint (installs aws-sam-cli into .tools/)"
	@echo "make build     sam build: lambda/Makefile, with bytecode, into .aws-sam/ (needs PyPI)"
	@echo "make load      the 60 s load test of recovery-coach serve"
	@echo "make slow      50 stalled connections for 20 s against recovery-coach serve"
	@echo "make bench     cold start, warm turns, round trips, memory, package size vs ASK SDK baselines"
	@echo "make quality   understanding, per kind and locale, on the corpus's dev part (QUALITY.md)"

# The venv is exactly the lock: made afresh, the locked (hashed) versions installed with the locked
# uv, then this package itself without dependencies.
$(STAMP): pyproject.toml requirements-dev.txt lambda/requirements.txt
	@test -n "$(PYTHON)" || { echo "no Python 3.12: see scripts/python312" >&2; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	scripts/uv-bootstrap $(VENV) requirements-dev.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) --require-hashes --compile-bytecode -r requirements-dev.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $@

install: $(STAMP)

$(CHAT_STAMP): pyproject.toml lambda/requirements.txt
	@test -n "$(PYTHON)" || { echo "no Python 3.12: see scripts/python312" >&2; exit 1; }
	$(PYTHON) -m venv --clear $(CHAT_VENV)
	$(CHAT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r lambda/requirements.txt
	$(CHAT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# Needs PyPI. Both files are generated: edit pyproject.toml, then run this.
LOCK_ARGS := --universal --python-version 3.12 --generate-hashes --custom-compile-command "make lock" --quiet
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_ARGS) -o lambda/requirements.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -c lambda/requirements.txt $(LOCK_ARGS) -o requirements-dev.txt

$(DDB_STAMP): tools/dynamodb-local/package.json tools/dynamodb-local/package-lock.json scripts/install-dynamodb-local.sh scripts/npm-pinned.sh
	bash scripts/install-dynamodb-local.sh
	touch $@

# Amazon's SMAPI spec (npm ask-smapi-model): the schema tests check skill-package/ against it.
$(SMAPI_STAMP): tools/ask-smapi-model/package.json tools/ask-smapi-model/package-lock.json scripts/install-ask-smapi-model.sh scripts/npm-pinned.sh
	bash scripts/install-ask-smapi-model.sh >/dev/null
	touch $@

chat: $(CHAT_STAMP)
	$(CHAT_VENV)/bin/recovery-coach chat

models: $(STAMP)
	$(PY) -m tools.build_models

check-models: $(STAMP)
	$(PY) -m tools.build_models --check

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pre-commit validate-config .pre-commit-config.yaml

# Every test, in phases that each say their seconds. Tests run in a private network namespace:
# servers they start are reachable at 127.0.0.1 only. pytest-xdist runs them on both cores
# (XDIST=0 for one process). Then the date-sensitive tests again at chosen instants (month and year
# ends, DST changes, a leap day), two instants at a time.
XDIST ?= 2
PYTEST := $(PY) -m pytest -q -p no:cacheprovider $(if $(filter-out 0,$(XDIST)),-n $(XDIST))
test:
	@scripts/phase install $(MAKE) --no-print-directory $(STAMP) $(DDB_STAMP) $(SMAPI_STAMP) chromium
	@scripts/phase lint $(MAKE) --no-print-directory lint
	@scripts/phase unit scripts/isolated $(PYTEST) tests/unit $(PYTEST_ARGS)
	@scripts/phase functional scripts/isolated $(PYTEST) tests/functional $(PYTEST_ARGS)
	@scripts/phase instants scripts/isolated scripts/test-instants $(PY)

# The inner loop: no Java, no Chromium, about half a minute.
unit: $(STAMP) $(SMAPI_STAMP)
	$(PYTEST) tests/unit $(PYTEST_ARGS)

# The functional suite SOAK_ROUNDS times in a row (default 5), to find flakes; SOAK_BUSY=1 keeps one
# core busy meanwhile, as a loaded machine would. For the clinic, not CI: `make test` first.
SOAK_ROUNDS ?= 5
soak: $(STAMP) $(DDB_STAMP) $(SMAPI_STAMP) chromium
	scripts/isolated scripts/soak $(SOAK_ROUNDS) $(PYTEST) tests/functional $(PYTEST_ARGS)

chromium:
	bash scripts/install-chromium.sh

validate:
	bash scripts/sam-validate.sh

# sam build runs lambda/Makefile for each function; its python3.12 is the one scripts/python312 found.
build: validate
	PATH="$(dir $(PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 .tools/sam-venv/bin/sam build

# Our skill next to two ASK SDK baselines: cold start, warm turns, round trips, memory, package size.
# The package is assembled from PyPI first (outside the namespace); the rest runs on 127.0.0.1 only.
bench: $(STAMP) $(DDB_STAMP)
	$(PY) -m bench.package --json .tools/package.json
	scripts/isolated $(PY) -m bench.run --package .tools/package.json --json bench/results.json

# 60 s of 50 signed simulated users against the served skill, DynamoDB Local behind it.
load: $(STAMP) $(DDB_STAMP)
	scripts/isolated $(PY) -m bench.load.run --seconds 60 --users 50 --json bench/load-results.json

# Understanding, measured on the corpus's dev part (written blind; nothing is fitted to it).
quality: $(STAMP)
	$(PY) -m tools.quality --markdown .tools/quality.md

# 50 connections that stall their headers or bodies for 20 s, while /health and a red-flag question are timed.
slow: $(STAMP)
	scripts/isolated $(PY) -m bench.load.slow --seconds 20 --stalled 50 --json bench/slow-results.json

clean:
	rm -rf $(VENV) $(CHAT_VENV) .tools .pytest_cache
