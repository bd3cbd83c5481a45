#!/usr/bin/env bash
# Plan the stacks a change touches, at its base and at its head, and compare them.
# Pull requests (MERGE_BASE=true: from the merge base, like GitHub's diff) and merges to main
# (MERGE_BASE=false: every commit of the push, BASE = GitHub's `before`) run this same script.
# It never stops at a failing stack: every stack gets a plan file (holding its error, if any),
# and the failure is only reported, in `status`, for the last step of the job.
#
# Env: BASE (may be empty or all zeros: no base, every stack is new), HEAD (required),
#   MERGE_BASE (true|false), GPUFLEET (default .venv/bin/gpufleet), OUT_DIR (default gitops-out),
#   REPORT_URL (linked from the comment), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
# Writes $OUT_DIR/{changes.json,base/,head/,comment.md,report.md} and the outputs
#   status (exit code of `gpufleet diff`) and live (JSON rows of the live stacks to preview/deploy).
set -euo pipefail
: "${HEAD:?}"
gpufleet=${GPUFLEET:-.venv/bin/gpufleet}
out=${OUT_DIR:-gitops-out}
output=${GITHUB_OUTPUT:-/dev/null}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}

rm -rf "$out"
mkdir -p "$out/base"
base_args=()
if [ -n "${BASE:-}" ] && git cat-file -e "${BASE}^{commit}" 2>/dev/null; then
  base_args=(--base "$BASE")
  if [ "${MERGE_BASE:-false}" = true ]; then base_args+=(--merge-base); fi
fi
"$gpufleet" gitops changed "${base_args[@]}" --head "$HEAD" --out "$out/changes.json"
"$gpufleet" gitops plan --changes "$out/changes.json" --side head --checkout . --out-dir "$out/head"

# The base is planned in its own worktree, with its own code (components/ first on PYTHONPATH).
if [ "${#base_args[@]}" -gt 0 ]; then
  base_sha=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["base"])' "$out/changes.json")
  base_tree=$(mktemp -d)
  trap 'git worktree remove --force "$base_tree" >/dev/null 2>&1 || true; rm -rf "$base_tree"' EXIT
  git worktree add --quiet --detach "$base_tree" "$base_sha"
  "$gpufleet" gitops plan --changes "$out/changes.json" --side base --checkout "$base_tree" --out-dir "$out/base"
fi

status=0
"$gpufleet" diff "$out/base" "$out/head" --changes "$out/changes.json" \
  --out "$out/comment.md" --full "$out/report.md" ${REPORT_URL:+--report-url "$REPORT_URL"} || status=$?
live=$("$gpufleet" gitops matrix --changes "$out/changes.json" --plans "$out/head")

cat "$out/report.md" >> "$summary"
{
  echo "status=$status"
  echo "live=$live"
} >> "$output"
echo "gpufleet diff exited $status; live stacks to preview/deploy: $live"
