# Two commands for a fresh machine:  make run   and   make test
# Both create .venv (Python 3.10), install the pinned dependencies, build the artefacts under models/.
# For development: make lint (format, lint, types, import architecture; seconds) and
# make test-fast (unit tests only: no model build, no Rasa, no running stack; under a minute).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint build venv clean

run: build
	$(VENV)/bin/jenabot run

test: build
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not stack"

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests/test_architecture.py

build: $(STAMP)
	$(VENV)/bin/jenabot build

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@bash .ci/find-python.sh > /dev/null
	@test -x $(PY) || $$(bash .ci/find-python.sh) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<27"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

clean:
	rm -rf models/* $(VENV)
