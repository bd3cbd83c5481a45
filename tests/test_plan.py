"""gpufleet plan: the JSON contract, exit codes and every stack template against its golden plan."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from contract_templates import expected
from gpufleet.cli import app
from helpers import ROOT, TEMPLATES, assert_golden, fleet

runner = CliRunner()
AS_OF = "2026-11-24"  # price-age warnings are judged against a fixed date in tests


def _plan_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["plan", *args, "--format", "json", "--as-of", AS_OF])
    assert result.exit_code in (0, 1, 3), result.output
    return result.exit_code, json.loads(result.stdout)


USER_DATA = "<base64 #cloud-config from gpufleet.bootstrap; its content has its own golden files>"
USER_DATA_KEYS = ("userData", "customData")  # AWS and Alibaba; Azure's osProfile


def _redact(value: Any) -> tuple[Any, int]:
    """``value`` with every user-data field replaced by :data:`USER_DATA`, and how many there were."""
    if isinstance(value, dict):
        out, n = {}, 0
        for k, v in value.items():
            if k in USER_DATA_KEYS and isinstance(v, str):
                assert base64.b64decode(v).decode().startswith("#cloud-config\n"), k
                out[k], n = USER_DATA, n + 1
            else:
                out[k], m = _redact(v)
                n += m
        return out, n
    if isinstance(value, list):
        items = [_redact(v) for v in value]
        return [v for v, _ in items], sum(m for _, m in items)
    return value, 0


def _stable(plan: dict[str, Any]) -> dict[str, Any]:
    """Drop what depends on the checkout location, and the user data: the bootstrap renderer
    evolves on its own and has its own (readable) goldens, so one shell character does not
    change every plan golden. Everything else is deterministic."""
    out = dict(plan)
    out.pop("source")
    out["resources"], redacted = _redact(out["resources"])
    assert redacted >= len(out["groups"]), "every group launches nodes with user data"
    # The model packages' versions (botocore is not pinned) would make every upgrade a golden change.
    checks = out.get("contractChecks", {})
    for c in checks.get("clouds", []):
        c["detail"] = re.sub(r"\b\d+(\.\d+)+\b", "<version>", c["detail"])
    return out


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_plans_passes_its_policies_and_matches_its_golden(path: Path) -> None:
    stack = path.name[len("Pulumi.") : -len(".yaml")]
    code, plan = _plan_json("--stack", stack)
    mandatory = [p for p in plan["policies"] if p["enforcement"] == "mandatory"]
    assert mandatory == [], mandatory
    # the contract findings are the ones tests/contract_templates.py lists (exit 3 when there are any)
    assert sorted((f["resource"], f["field"], f["rule"]) for f in plan["contract"]) == expected(stack)
    assert code == (3 if expected(stack) else 0), plan["contract"]
    assert plan["resources"] and plan["groups"]
    assert_golden(f"plan/{stack}", _stable(plan))


def test_json_contract() -> None:
    code, plan = _plan_json("--stack", "multicloud-burst")
    assert set(plan) >= {"stack", "resources", "groups", "totals", "policies", "contract", "exitCode"}
    assert plan["exitCode"] == code
    r = plan["resources"][0]
    assert set(r) >= {"urn", "type", "name", "parent", "provider", "inputs"}
    g = plan["groups"][0]
    contract = {"name", "cloud", "region", "instanceTypes", "capacity", "market", "hourlyUsd", "monthlyUsd", "prices"}
    assert set(g) >= contract
    assert set(g["capacity"]) == set(g["hourlyUsd"]) == set(g["monthlyUsd"]) == {"min", "desired", "max"}
    assert set(g["prices"]) >= {"source", "asOf", "currency"}
    assert set(plan["totals"]) >= {"monthlyUsd", "gpus"}
    assert {p["cloud"] for p in plan["groups"]} == {"aws", "azure", "alicloud"}
    ali = next(p for p in plan["groups"] if p["cloud"] == "alicloud")
    assert ali["prices"]["currency"] == "CNY"  # the price is shown in its own currency, converted in *Usd fields
    total = sum(p["monthlyUsd"]["max"] for p in plan["groups"])
    assert plan["totals"]["monthlyUsd"]["max"] == pytest.approx(total, abs=0.05)


def _write(tmp_path: Path, fleet_value: Any) -> Path:
    f = tmp_path / "Pulumi.t.yaml"
    f.write_text(yaml.safe_dump({"config": {"gpufleet:fleet": fleet_value}}))
    return f


def test_exit_2_on_invalid_config_without_traceback(tmp_path: Path) -> None:
    f = _write(tmp_path, fleet({"capcity": {"max": 2}}))
    result = runner.invoke(app, ["plan", "--config", str(f)])
    assert result.exit_code == 2
    assert "groups[0].capcity" in result.output and "Traceback" not in result.output


def test_exit_1_when_the_budget_is_broken(tmp_path: Path) -> None:
    f = _write(tmp_path, fleet({"gpu": {"instanceTypes": ["p5.48xlarge"]}, "capacity": {"min": 0, "max": 4}}))
    config = json.loads((ROOT / "policies" / "dev.json").read_text())
    config["gpu-budget-cap"].update(enforcementLevel="mandatory", maxMonthlyUsd=1000)
    pc = tmp_path / "tight.json"
    pc.write_text(json.dumps(config))
    result = runner.invoke(app, ["plan", "--config", str(f), "--policy-config", str(pc), "--format", "json"])
    assert result.exit_code == 1, result.output
    plan = json.loads(result.stdout)
    assert plan["exitCode"] == 1
    assert any(p["policy"] == "gpu-budget-cap" and p["enforcement"] == "mandatory" for p in plan["policies"])


def test_exit_2_on_a_bad_policy_config(tmp_path: Path) -> None:
    f = _write(tmp_path, fleet())
    pc = tmp_path / "bad.json"
    pc.write_text("{not json")
    result = runner.invoke(app, ["plan", "--config", str(f), "--policy-config", str(pc)])
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_stack_and_config_are_exclusive() -> None:
    assert runner.invoke(app, ["plan"]).exit_code == 2
    result = runner.invoke(app, ["plan", "--stack", "nope"])
    assert result.exit_code == 2 and "aws-train-h100-efa" in result.output


def test_table_and_markdown_output(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "--stack", "aws-train-h100-efa", "--as-of", AS_OF], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Estimated cost (USD" in result.output and "aws:autoscaling/group:Group" in result.output
    out = tmp_path / "plan.md"
    result = runner.invoke(app, ["plan", "--stack", "aws-train-h100-efa", "--format", "markdown", "--out", str(out)])
    assert result.exit_code == 0
    md = out.read_text()
    assert md.startswith("### gpufleet plan: `aws-train-h100-efa`") and "| trainers |" in md


def _without_schedule_start(tmp_path: Path) -> Path:
    """The Alibaba spot template with its pinned scheduleStart removed (issue 16 item 3)."""
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.alicloud-inference-a10-spot.yaml").read_text())
    del doc["config"]["gpufleet:fleet"]["groups"][0]["autoscaling"]["scheduleStart"]
    path = tmp_path / "Pulumi.derived.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _derived_plan(path: Path, as_of: str) -> str:
    result = runner.invoke(app, ["plan", "--config", str(path), "--format", "json", "--as-of", as_of])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_a_plan_without_schedule_start_derives_the_window_from_as_of(tmp_path: Path) -> None:
    path = _without_schedule_start(tmp_path)
    text = _derived_plan(path, AS_OF)
    assert _derived_plan(path, AS_OF) == text  # byte-identical for one --as-of
    later = _derived_plan(path, "2026-11-25")
    assert later != text
    tasks = [
        r["inputs"] for r in json.loads(text)["resources"] if r["type"] == "alicloud:ess/scheduledTask:ScheduledTask"
    ]
    # 09:00 and 21:00 Asia/Shanghai = 01:00 and 13:00 UTC, from 2026-11-24; 275 days later is 2027-08-26.
    assert sorted(t["launchTime"] for t in tasks) == ["2026-11-24T01:00Z", "2026-11-24T13:00Z"]
    assert {t["recurrenceEndTime"] for t in tasks} == {"2027-08-26T00:00Z"}
    later_tasks = [r["inputs"] for r in json.loads(later)["resources"] if r["type"].endswith("ScheduledTask")]
    assert sorted(t["launchTime"] for t in later_tasks) == ["2026-11-25T01:00Z", "2026-11-25T13:00Z"]
    # The plan says where the window ends and how it is renewed.
    (note,) = [w for w in json.loads(text)["warnings"] if "groups[0].autoscaling.scheduleStart" in w]
    assert "2027-08-26" in note and "pulumi up --replace" in note
