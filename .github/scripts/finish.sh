#!/usr/bin/env bash
# The job's last step: fail now, after the report, summary and comment are out, if a stack failed.
# Env: STATUS, the exit code of `gpufleet diff` or `gpufleet plan` (empty: that step never finished).
set -euo pipefail
status=${STATUS:-}
case "$status" in
  0) echo "every planned stack passed"; exit 0 ;;
  "") echo "the plan step did not finish: see its log"; exit 1 ;;
  1) echo "a mandatory policy violation or an unpinned stack (exit 1): see the report" ;;
  2) echo "an invalid stack or policy config (exit 2): see the report" ;;
  3) echo "a contract finding: the cloud would reject a request (exit 3): see the report" ;;
  *) echo "gpufleet exited $status: see the report" ;;
esac
exit 1
