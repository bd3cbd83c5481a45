#!/usr/bin/env bash
# Install gpufleet from this checkout into .venv (the workflows' first step), with the cloud API
# models of the contract check: without them `gpufleet plan` says "contract check skipped" and
# the gate for what only a live cloud would reject (exit 3) is off.
set -euo pipefail
python -m venv .venv
.venv/bin/pip install --quiet -e ".[contract]"
