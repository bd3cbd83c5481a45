"""The gpufleet command line: catalog and validate."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gpufleet.cli import app
from helpers import TEMPLATES, fleet

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "catalog" in result.output and "validate" in result.output


def test_catalog_json_filters() -> None:
    args = ["catalog", "--cloud", "aws", "--gpu", "h100-80gb", "--count", "8", "--rdma", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["instanceType"] for r in rows} == {"p5.48xlarge"}
    assert rows[0]["rdma"] == "efa:32"
    assert rows[0]["price"]["currency"] == "USD" and rows[0]["price"]["region"]


def test_catalog_region_filter_and_cny() -> None:
    result = runner.invoke(app, ["catalog", "--cloud", "alicloud", "--gpu", "A10", "--region", "cn-beijing", "--json"])
    rows = json.loads(result.stdout)
    assert rows and all(r["price"]["region"] == "cn-beijing" and r["price"]["currency"] == "CNY" for r in rows)
    assert all(r["price"]["onDemandUsd"] < r["price"]["onDemand"] for r in rows)  # converted


def test_catalog_table() -> None:
    result = runner.invoke(app, ["catalog", "--cloud", "azure", "--rdma"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Standard_ND96isr_H100_v5" in result.output


@pytest.mark.parametrize(("args", "message"), [(["--gpu", "A100"], "ambiguous"), (["--cloud", "gcp"], "not one of")])
def test_catalog_bad_filters_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["catalog", *args])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_validates(path: Path) -> None:
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def _write(tmp_path: Path, fleet_value: object) -> Path:
    f = tmp_path / "Pulumi.bad.yaml"
    f.write_text(yaml.safe_dump({"config": {"gpufleet:fleet": fleet_value}}))
    return f


def test_validate_bad_config_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    f = _write(tmp_path, fleet({"capcity": {"max": 1}}, {"name": "b", "gpu": {"model": "H1000", "count": 8}}))
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 2
    assert "groups[0].capcity" in result.output and "groups[1].gpu.model" in result.output
    assert "2 problems" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("config: [", "not valid YAML at line"),
        ("foo: 1\n", "top-level 'config:'"),
        ("config:\n  gpufleet:flet: {}\n", "Did you mean 'gpufleet:fleet'"),
    ],
)
def test_validate_unusable_files(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "Pulumi.x.yaml"
    f.write_text(content)
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 2
    assert message in result.output


def test_validate_missing_file() -> None:
    result = runner.invoke(app, ["validate", "no/such/Pulumi.x.yaml"])
    assert result.exit_code == 2 and "no such file" in result.output


def test_console_script_never_shows_a_traceback(tmp_path: Path) -> None:
    exe = shutil.which("gpufleet", path=str(Path(sys.executable).parent))
    assert exe, "the gpufleet console script is installed with the package"
    f = _write(tmp_path, {"name": "x", "groups": [{"name": "a"}]})
    proc = subprocess.run([exe, "validate", str(f)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "groups[0].cloud: Field required" in proc.stderr
