# The two front-door commands (see README.md):
#   make run    the main job: gpufleet plan, offline, on the default stack template
#   make test   lint, type-check and the whole test suite
# Both create .venv and install everything on first use.

PYTHON ?= python3
VENV   ?= .venv
STACK  ?= aws-train-h100-efa
BIN    := $(VENV)/bin

.PHONY: run test system-tools lint typecheck pytest catalog reference clean

$(BIN)/.installed: pyproject.toml
	@echo "==> creating $(VENV) and installing gpufleet with its dev tools and contract models (first run takes a minute or two)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,contract]"
	@touch $@

run: $(BIN)/.installed
	$(BIN)/gpufleet plan --stack $(STACK)

test: $(BIN)/.installed system-tools lint typecheck pytest

# Debian's cloud-init provides `cloud-init schema`, which the bootstrap tests run. It is not on
# PyPI, so a laptop without apt may lack it: the tests that need it are then skipped, loudly
# (here and in pytest's summary). CI sets GPUFLEET_REQUIRE_CLOUD_INIT=1 (.ci/run): missing is an error.
system-tools:
	@if ! command -v cloud-init >/dev/null 2>&1; then \
	  if [ "$${GPUFLEET_REQUIRE_CLOUD_INIT:-}" = 1 ]; then \
	    echo "error: Debian's cloud-init is missing and GPUFLEET_REQUIRE_CLOUD_INIT=1: apt-get install --no-install-recommends cloud-init"; exit 1; \
	  fi; \
	  echo "!!!! WARNING: Debian's cloud-init ('cloud-init schema') is missing: the cloud-init schema tests will be SKIPPED."; \
	  echo "!!!! Install it with 'sudo apt-get install --no-install-recommends cloud-init' (Debian/Ubuntu); CI always runs them."; \
	fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy --strict components/

pytest: $(BIN)/.installed
	$(BIN)/pytest -q

# Rebuild components/gpufleet/catalog/data/ from scripts/catalog-sources/ (standard library only).
catalog:
	$(PYTHON) scripts/build_catalog.py

# The README's config reference and schema/gpufleet-stack.schema.json, from components/gpufleet/spec.py.
reference: $(BIN)/.installed
	$(BIN)/python -m gpufleet.configschema README.md
	$(BIN)/gpufleet schema --out schema/gpufleet-stack.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
