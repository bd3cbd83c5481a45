#!/usr/bin/env bash
# Before `pulumi up` of one stack: its offline plan must pass (1 mandatory policy violation,
# 2 invalid config, 3 contract finding) and it must be pinned. The plan goes to the job summary.
# Env: STACK; GPUFLEET (default .venv/bin/gpufleet); GITHUB_STEP_SUMMARY.
set -euo pipefail
: "${STACK:?}"
gpufleet=${GPUFLEET:-.venv/bin/gpufleet}
rc=0
"$gpufleet" plan --stack "$STACK" --format markdown --out plan.md || rc=$?
if [ -f plan.md ]; then cat plan.md >> "${GITHUB_STEP_SUMMARY:-/dev/null}"; fi
if ! "$gpufleet" resolve --stack "$STACK" --check && [ "$rc" -eq 0 ]; then rc=1; fi
exit "$rc"
