"""gpufleet plan runs the contract check: findings in every format, exit 3 (outranks 1), and a
cloud that cannot be checked is reported as skipped, never passed silently."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from contract_cases import NAMED_SPECS
from gpufleet.cli import app
from gpufleet.contract import aws, check
from helpers import ROOT

runner = CliRunner()


def _write(tmp_path: Path, fleet_value: Any) -> Path:
    f = tmp_path / "Pulumi.t.yaml"
    f.write_text(yaml.safe_dump({"config": {"gpufleet:fleet": fleet_value}}))
    return f


# Every AWS spec the review named is contract-clean or refused now (issue 14), so these tests make
# a finding on purpose: EC2's user-data limit lowered below the ~3 KB loader (a real rule, firing).
SPEC = NAMED_SPECS["p6-b300-rdma"]


@pytest.fixture
def small_user_data_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws, "USER_DATA_MAX", 1000)


@pytest.mark.usefixtures("small_user_data_limit")
def test_a_finding_exits_3_and_is_in_the_json_contract_list(tmp_path: Path) -> None:
    f = _write(tmp_path, SPEC)
    result = runner.invoke(app, ["plan", "--config", str(f), "--format", "json"])
    assert result.exit_code == 3, result.output
    plan = json.loads(result.stdout)
    assert plan["exitCode"] == 3
    [finding] = plan["contract"]
    assert finding["rule"] == "aws.ec2.user-data-size"
    assert finding["field"] == "LaunchTemplateData.UserData"
    assert set(finding) == {"resource", "resourceType", "field", "rule", "message", "source"}
    assert "user-data.html" in finding["source"]
    assert plan["contractChecks"]["clouds"][0]["checked"] is True


@pytest.mark.usefixtures("small_user_data_limit")
def test_the_table_prints_resource_field_rule_and_source(tmp_path: Path) -> None:
    f = _write(tmp_path, SPEC)
    result = runner.invoke(app, ["plan", "--config", str(f)], terminal_width=400)
    assert result.exit_code == 3
    for text in ("demo-trainers-lt", "LaunchTemplateData.UserData", "aws.ec2.user-data-size",
                 "user-data.html", "contract: the cloud would reject a request"):  # fmt: skip
        assert text in result.output, text


@pytest.mark.usefixtures("small_user_data_limit")
def test_markdown_lists_the_findings(tmp_path: Path) -> None:
    f = _write(tmp_path, SPEC)
    result = runner.invoke(app, ["plan", "--config", str(f), "--format", "markdown"])
    assert result.exit_code == 3 and "❌ contract finding" in result.stdout
    assert "| `demo-trainers-lt` | LaunchTemplateData.UserData | aws.ec2.user-data-size |" in result.stdout


@pytest.mark.usefixtures("small_user_data_limit")
def test_a_contract_finding_outranks_a_mandatory_policy_violation(tmp_path: Path) -> None:
    f = _write(tmp_path, SPEC)
    config = json.loads((ROOT / "policies" / "dev.json").read_text())
    config["gpu-budget-cap"].update(enforcementLevel="mandatory", maxMonthlyUsd=1000)
    pc = tmp_path / "tight.json"
    pc.write_text(json.dumps(config))
    result = runner.invoke(app, ["plan", "--config", str(f), "--policy-config", str(pc), "--format", "json"])
    assert result.exit_code == 3, result.output
    plan = json.loads(result.stdout)
    assert plan["contract"] and any(p["enforcement"] == "mandatory" for p in plan["policies"])  # both reported


def test_without_the_model_package_the_cloud_is_skipped_out_loud(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def no_botocore(name: str, package: str | None = None) -> Any:
        if name == "gpufleet.contract.aws":
            raise ModuleNotFoundError("No module named 'botocore'", name="botocore")
        return real(name, package)

    monkeypatch.setattr(check.importlib, "import_module", no_botocore)
    result = runner.invoke(app, ["plan", "--stack", "aws-train-h100-efa", "--format", "json"])
    assert result.exit_code == 0
    [aws] = json.loads(result.stdout)["contractChecks"]["clouds"]
    assert aws["checked"] is False
    assert aws["detail"].startswith("contract check skipped for aws: install gpufleet[contract]")
    table = runner.invoke(app, ["plan", "--stack", "aws-train-h100-efa"], terminal_width=300)
    assert "contract check skipped for aws: install gpufleet[contract]" in table.output
    assert "contract: no findings" not in table.output
