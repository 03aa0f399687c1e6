# Two commands for a fresh machine:  make run   and   make test
# Both create .venv (Python 3.10), install the pinned dependencies, build the artefacts under models/.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test build venv clean

run: build
	$(VENV)/bin/jenabot run

test: build
	$(PY) -m pytest

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
