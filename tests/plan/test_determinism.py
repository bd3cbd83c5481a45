"""The plan is byte-identical across runs (docs/plan.md, "Order").

Each run is a separate interpreter with a different hash seed, so neither thread timing nor
set/dict iteration order of one process can hide a difference.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import ROOT, STACKS

AS_OF = "2026-11-24"


def _plan(args: list[str], fmt: str, seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed, "COLUMNS": "160"}
    proc = subprocess.run(
        [sys.executable, "-m", "gpufleet.cli", "plan", *args, "--format", fmt, "--as-of", AS_OF],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr.decode()[-2000:]
    return proc.stdout


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_multicloud_template_plan_is_byte_identical_across_processes(fmt: str) -> None:
    first = _plan(["--stack", "multicloud-burst"], fmt, "1")
    second = _plan(["--stack", "multicloud-burst"], fmt, "2")
    assert first, "empty plan"
    assert first == second


def test_multi_group_fleet_policy_messages_are_stable(tmp_path: Path) -> None:
    # Several groups per cloud: the case where registration order used to follow thread timing.
    doc = yaml.safe_load((STACKS / "Pulumi.multicloud-burst.yaml").read_text())
    fleet = doc["config"]["gpufleet:fleet"]
    groups = []
    for copy_no in range(3):
        for g in fleet["groups"]:
            groups.append({**g, "name": f"{g['name']}-{copy_no}"})
    fleet["groups"] = groups
    path = tmp_path / "Pulumi.many-groups.yaml"
    path.write_text(yaml.safe_dump(doc))
    first = _plan(["--config", str(path)], "json", "3")
    second = _plan(["--config", str(path)], "json", "4")
    assert b'"policies"' in first
    assert first == second


def test_report_does_not_follow_registration_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same program, resources registered in the opposite order: the same report. Twin groups
    cost the same, so the budget breakdown would otherwise list them in registration order."""
    import json

    import gpufleet.plan.run as plan_run

    doc = yaml.safe_load((STACKS / "Pulumi.multicloud-burst.yaml").read_text())
    fleet = doc["config"]["gpufleet:fleet"]
    fleet["groups"] = [{**g, "name": f"{g['name']}-{i}"} for i in range(2) for g in fleet["groups"]]
    stack = tmp_path / "Pulumi.twins.yaml"
    stack.write_text(yaml.safe_dump(doc))
    pc = json.loads((ROOT / "policies" / "dev.json").read_text())
    pc["gpu-budget-cap"]["maxMonthlyUsd"] = 1  # every group shows up in the breakdown
    pc_path = tmp_path / "policy.json"
    pc_path.write_text(json.dumps(pc))

    def report() -> str:
        r = plan_run.plan(stack, policy_config=pc_path, program=ROOT / "__main__.py")
        return json.dumps(r.to_json(), indent=2)

    straight = report()
    real = plan_run.run_program

    def reversed_run(*args: Any, **kwargs: Any) -> Any:
        run = real(*args, **kwargs)
        run.resources.reverse()
        return run

    monkeypatch.setattr(plan_run, "run_program", reversed_run)
    assert "gpu-budget-cap" in straight
    assert report() == straight
