"""The gpufleet command line: catalog and validate."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpu", "nonsense"], "unknown GPU model"),
        (["--cloud", "gcp"], "not one of"),
        (["--region", "mars-1"], "Valid:"),
    ],
)
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


def _catalog_json(*args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["catalog", *args, "--json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_catalog_family_lists_every_variant() -> None:
    # `sky show-gpus H100` habit: a bare family is every variant, not an "ambiguous" error.
    models = {r["gpuModel"] for r in _catalog_json("--gpu", "H100")}
    assert models == {"H100-80GB", "H100-NVL-94GB"}
    assert {r["gpuModel"] for r in _catalog_json("--gpu", "A100")} == {"A100-40GB", "A100-80GB"}


def test_catalog_model_count_shorthand() -> None:
    rows = _catalog_json("--gpu", "H100:8", "--rdma")
    assert {r["instanceType"] for r in rows} == {"p5.48xlarge", "Standard_ND96isr_H100_v5"}


def test_catalog_is_sorted_by_usd_price_across_currencies() -> None:
    rows = [r for r in _catalog_json("--min-memory", "640") if r["price"]]
    usd = [r["price"]["onDemandUsd"] for r in rows]
    assert usd == sorted(usd)
    currencies = {r["price"]["currency"] for r in rows}
    assert currencies == {"USD", "CNY"}
    for r in rows:  # the USD column is the list price converted at the catalog's dated rate
        p = r["price"]
        rate = 1.0 if p["currency"] == "USD" else 0.150311  # fx.csv (ECB 2026-10-30)
        assert p["onDemandUsd"] == pytest.approx(p["onDemand"] * rate, abs=1e-4)


def test_catalog_table_shows_currency_and_unnamed_gpus() -> None:
    result = runner.invoke(app, ["catalog", "--cloud", "alicloud", "--min-memory", "640"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "(unnamed)" not in result.output
    assert "not named" in result.output  # the GPU column says what is unknown
    assert "275.880 CNY" in result.output  # ecs.gn7e-c16g1.32xlarge list price with its currency
    assert "41.468" in result.output  # and in USD


def test_catalog_money_never_wraps_at_80_columns() -> None:
    result = runner.invoke(app, ["catalog", "--min-memory", "640"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert all(len(line) <= 80 for line in result.output.splitlines())
    assert "275.880 CNY" in result.output and "113.933" in result.output


def test_plan_money_never_wraps_at_80_columns() -> None:
    result = runner.invoke(app, ["plan", "--stack", "multicloud-burst", "--as-of", "2026-11-24"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    plan = json.loads(
        runner.invoke(app, ["plan", "--stack", "multicloud-burst", "--as-of", "2026-11-24", "--format", "json"]).stdout
    )
    for g in plan["groups"]:
        for v in g["monthlyUsd"].values():
            assert f"${v:,.0f}" in result.output  # whole, on one line: never "$13,0" / "82"
