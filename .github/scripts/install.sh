#!/usr/bin/env bash
# Install gpufleet from this checkout into .venv (the workflows' first step).
set -euo pipefail
python -m venv .venv
.venv/bin/pip install --quiet -e .
