#!/usr/bin/env bash
# Are the credentials for every cloud of this stack configured (as secrets in the env)?
# Env: STACK, CLOUDS (space-separated: aws azure alicloud), PULUMI_ACCESS_TOKEN and the cloud
# variables. Writes ok=true|false to GITHUB_OUTPUT; a skip is noted in the job summary.
set -euo pipefail
ok=true
[ -n "${PULUMI_ACCESS_TOKEN:-}" ] || ok=false
for cloud in ${CLOUDS:-}; do
  case "$cloud" in
    aws) [ -n "${AWS_ACCESS_KEY_ID:-}" ] || ok=false ;;
    azure) [ -n "${ARM_CLIENT_ID:-}" ] || ok=false ;;
    alicloud) [ -n "${ALICLOUD_ACCESS_KEY:-}" ] || ok=false ;;
    *) ok=false ;;
  esac
done
echo "ok=$ok" >> "${GITHUB_OUTPUT:-/dev/null}"
if [ "$ok" != true ]; then
  echo "no credentials for ${STACK:-?} (${CLOUDS:-no cloud}): skipping pulumi preview/up" | tee -a "${GITHUB_STEP_SUMMARY:-/dev/null}"
fi
