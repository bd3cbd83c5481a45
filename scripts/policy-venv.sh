#!/usr/bin/env bash
# Create the policy pack's virtualenv, policies/venv (PulumiPolicy.yaml: `virtualenv: venv`).
# `pulumi preview/up --policy-pack policies` runs the pack with it but never creates it for a
# local pack (the CLI installs dependencies only for packs it downloads from Pulumi Cloud).
#
# The venv reuses the packages of the Python where gpufleet is installed (PYTHON, default
# .venv/bin/python): nothing is downloaded and the provider SDKs are not installed twice.
# Usage: PYTHON=.venv/bin/python scripts/policy-venv.sh [PACK_DIR]
set -euo pipefail
python=${PYTHON:-.venv/bin/python}
pack=${1:-policies}

"$python" -m venv --clear --system-site-packages "$pack/venv"

# `--system-site-packages` exposes the *base* interpreter's packages. When PYTHON is itself a
# virtualenv (the usual .venv), add its site-packages too, with their .pth files (the editable
# gpufleet install is one), through a .pth line that calls site.addsitedir.
"$python" - "$pack/venv/bin/python" <<'PY'
import subprocess
import sys
import sysconfig

if sys.prefix != sys.base_prefix:
    parent = sysconfig.get_paths()["purelib"]
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    child = subprocess.run([sys.argv[1], "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    with open(f"{child}/gpufleet-parent.pth", "w", encoding="utf-8") as fh:
        fh.write(f"import site; site.addsitedir({parent!r})\n")
PY

# The pack's entry module imports exactly these; fail here rather than in `pulumi preview`.
"$pack/venv/bin/python" -c 'import pulumi_policy, gpufleet.policy; print("policy pack venv ready:", gpufleet.policy.__file__)'
