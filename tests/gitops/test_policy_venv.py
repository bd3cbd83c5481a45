"""The documented policy-pack venv recipe (scripts/policy-venv.sh) gives a venv that runs the pack.

Pulumi's Python policy launcher needs `policies/venv` to be a virtualenv; the pack's
`__main__.py` builds the PolicyPack, which starts the analyzer's gRPC server and prints its
port (pulumi_policy.PolicyPack.__init__). So the test runs the real entry module in the new
venv and waits for that port, as the Pulumi CLI does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import ROOT


def test_policy_venv_recipe_runs_the_pack_entry_module(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("venv"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what the venv itself provides
    env["PYTHON"] = sys.executable
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "policy-venv.sh"), "policies"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    venv = tmp_path / "policies" / "venv"
    assert (venv / "pyvenv.cfg").is_file() and (venv / "bin" / "python").exists()
    pack = subprocess.Popen(
        [str(venv / "bin" / "python"), "__main__.py"],
        cwd=tmp_path / "policies",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert pack.stdout is not None
        port = pack.stdout.readline().strip()
        assert port.isdigit() and int(port) > 0, pack.stderr.read() if pack.stderr else port
    finally:
        pack.terminate()
        pack.wait(timeout=30)


def test_policy_venv_recipe_fails_loudly_without_gpufleet(tmp_path: Path) -> None:
    """A Python without gpufleet must not yield a venv that only fails later in `pulumi preview`."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("venv"))
    base = Path(sys.base_prefix) / "bin" / "python3"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHON"] = str(base)
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "policy-venv.sh"), "policies"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr
