"""gpufleet diff: resources, cost at min/desired/max, new/resolved violations, size cap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from gpufleet.cli import app
from gpufleet.gitops.comment import GITHUB_COMMENT_LIMIT, render
from gpufleet.gitops.diff import compare, compare_all

GROUP = "urn:pulumi:s::p::gpufleet:index:GpuFleet$gpufleet:aws:AwsGpuGroup::f-a"


def _res(name: str, **inputs: Any) -> dict[str, Any]:
    urn = f"urn:pulumi:s::p::gpufleet:index:GpuFleet$gpufleet:aws:AwsGpuGroup$aws:ec2/vpc:Vpc::{name}"
    return {"urn": urn, "type": "aws:ec2/vpc:Vpc", "name": name, "parent": GROUP, "inputs": inputs}


def _plan(
    stack: str, resources: list[dict[str, Any]], monthly: dict[str, float | None], **extra: Any
) -> dict[str, Any]:
    group = {"urn": GROUP, "type": "gpufleet:aws:AwsGpuGroup", "name": "f-a", "parent": "", "inputs": {}}
    return {
        "stack": stack,
        "resources": [group, *resources],
        "totals": {"monthlyUsd": monthly},
        "policies": extra.pop("policies", []),
        "warnings": [],
        "policyConfig": "policies/dev.json",
        "exitCode": extra.pop("exitCode", 0),
        **extra,
    }


def _violation(name: str, enforcement: str = "mandatory") -> dict[str, str]:
    return {
        "policy": "allowed-regions",
        "enforcement": enforcement,
        "message": f"'{name}' bad region",
        "urn": _res(name)["urn"],
    }


COST = {"min": 0.0, "desired": 100.0, "max": 400.0}


def test_resources_costs_and_violations_are_compared() -> None:
    base = _plan("s", [_res("a", cidr="10.0.0.0/16"), _res("b")], COST, policies=[_violation("a"), _violation("b")])
    head = _plan("s", [_res("a", cidr="10.1.0.0/16"), _res("c")], {"min": 0.0, "desired": 250.5, "max": 400.0},
                 policies=[_violation("a")], exitCode=1)  # fmt: skip
    d = compare("s", base, head)
    assert (d.added, d.changed, d.removed) == (
        ["aws:ec2/vpc:Vpc c"], ["aws:ec2/vpc:Vpc a"], ["aws:ec2/vpc:Vpc b"]
    )  # fmt: skip
    assert (d.delta("min"), d.delta("desired"), d.delta("max")) == (0.0, 150.5, 0.0)
    assert d.new_violations == [] and [c.delta for c in d.resolved_violations] == [-1]
    assert d.status == "❌ mandatory policy violation" and d.failure == 1
    text = render([d])
    assert "will **increase by $150**" in text and "Resolved policy violations" in text


def test_status_is_never_ok_over_unknown_cost_or_advisory_findings() -> None:
    unknown = compare("s", None, _plan("s", [], {"min": 0.0, "desired": None, "max": None}))
    assert unknown.status == "⚠️ cost unknown" and unknown.delta("desired") is None
    advisory = compare("s", None, _plan("s", [], COST, policies=[_violation("x", "advisory")]))
    assert advisory.status == "⚠️ 1 advisory finding" and advisory.failure == 0
    unpinned = compare("s", None, _plan("s", [], COST, pinned=False, pinDiff="-a\n+b"))
    assert unpinned.failure == 1 and "not pinned" in unpinned.status
    assert "unknown" in render([unknown])


def test_removed_stack_and_error_stack() -> None:
    removed = compare_all({"old": _plan("old", [_res("a")], COST)}, {}, {"stacks": [], "removed": ["old"]})
    assert removed[0].status == "🗑️ removed" and removed[0].delta("desired") == -100.0
    assert "pulumi destroy --stack old" in render(removed)
    error = {"stack": "bad", "error": "groups[0].capcity: unknown key", "exitCode": 2}
    d = compare("bad", None, error)
    assert d.failure == 2 and "capcity" in render([d])


def test_comment_stays_under_the_limit_and_the_full_report_keeps_everything() -> None:
    many = [_res(f"r{i:05d}-{'x' * 60}") for i in range(1000)]
    diffs = [compare(f"s{n}", None, _plan(f"s{n}", many, COST)) for n in range(5)]
    comment = render(diffs, report_url="https://example.com/run")
    full = render(diffs, max_chars=None)
    assert len(comment) < GITHUB_COMMENT_LIMIT < len(full)
    assert "https://example.com/run" in comment and comment.count("| `s") == 5  # every stack in the table
    assert f"r00999-{'x' * 60}" in full


def test_cli_diff_exit_code_is_the_worst_failure(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "ok.json").write_text(json.dumps(_plan("ok", [], COST)))
    (tmp_path / "head" / "bad.json").write_text(json.dumps({"stack": "bad", "error": "x", "exitCode": 2}))
    out = tmp_path / "c.md"
    result = CliRunner().invoke(app, ["diff", str(tmp_path / "base"), str(tmp_path / "head"), "--out", str(out)])
    assert result.exit_code == 2
    assert "2 stacks changed" in out.read_text()
    (tmp_path / "head" / "bad.json").unlink()
    assert CliRunner().invoke(app, ["diff", str(tmp_path / "base"), str(tmp_path / "head")]).exit_code == 0
