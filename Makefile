# The two front-door commands (see README.md):
#   make run    the main job, offline, on the default stack template
#   make test   lint, type-check and the whole test suite
# Both create .venv and install everything on first use.

PYTHON ?= python3
VENV   ?= .venv
STACK  ?= aws-train-h100-efa
BIN    := $(VENV)/bin

.PHONY: run test lint typecheck pytest golden catalog clean

$(BIN)/.installed: pyproject.toml
	@echo "==> creating $(VENV) and installing gpufleet with its dev tools (first run takes a minute or two)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

run: $(BIN)/.installed
	$(BIN)/gpufleet validate stacks/Pulumi.$(STACK).yaml

test: $(BIN)/.installed lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy --strict components/

pytest: $(BIN)/.installed
	$(BIN)/pytest -q

catalog:
	$(BIN)/python scripts/build_catalog.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
