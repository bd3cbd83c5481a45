"""Seams of the caps-and-pricing model: the plan's cost table and the budget policy give one
figure, a pinned-only cap plans, and no module outside gpufleet.pricing reads prices or caps."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from gpufleet.cli import app
from gpufleet.plan.run import plan
from helpers import ROOT, STACKS, fleet

TEMPLATES = sorted(STACKS.glob("Pulumi.*.yaml"))
BUDGET = re.compile(r"estimated GPU spend at max capacity is \$([\d,]+)/month")


def _zero_budget(tmp_path: Path) -> Path:
    """The dev policy config with a budget of $0, so the budget policy always states its figure."""
    config = json.loads((ROOT / "policies" / "dev.json").read_text())
    config["gpu-budget-cap"]["maxMonthlyUsd"] = 0
    config["gpu-budget-cap"].pop("maxHourlyUsd", None)
    pc = tmp_path / "zero.json"
    pc.write_text(json.dumps(config))
    return pc


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_cost_table_max_equals_the_budget_policy(tmp_path: Path, path: Path) -> None:
    # Reproduction (issue 13): aws-inference-l4-spot showed $3,290 max in the table and $3,996 in the
    # budget policy. AWS bills every type up to the one shared SpotMaxPrice (the highest cap), so
    # the worst case is 8 x 0.68432 x 730 = $3,996 (catalog: g6.2xlarge on-demand 0.9776 x 70%).
    report = plan(path, policy_config=_zero_budget(tmp_path), program=ROOT / "__main__.py")
    table_max = report.totals()["monthlyUsd"]["max"]
    budget = [v.message for v in report.policies if v.policy == "gpu-budget-cap"]
    if table_max is None:  # a type the catalog does not price: both sides say so
        assert budget and all("cannot estimate the cost" in m for m in budget), budget
        return
    assert len(budget) == 1, budget
    found = BUDGET.search(budget[0])
    assert found, budget[0]
    # The budget adds one build of each baked image (one-time, not in the table's $/mo).
    builds = sum(i.build.usd for i in report.images if i.build is not None)
    assert float(found.group(1).replace(",", "")) == pytest.approx(table_max + builds, abs=1.0)


IMAGE_TEMPLATES = [p for p in TEMPLATES if "images" in (yaml.safe_load(p.read_text())["config"]["gpufleet:fleet"])]


@pytest.mark.parametrize("path", IMAGE_TEMPLATES, ids=lambda p: p.name)
def test_the_plan_and_the_budget_price_a_build_alike(path: Path) -> None:
    # One build, one price: the plan's image line (spec side, imagebuild.cost) and gpu-budget-cap
    # (resource side, policy.images.build_costs) on each cloud's builder resources.
    from contract_cases import plan_template
    from gpufleet.catalog import load_catalog
    from gpufleet.policy.evaluate import Graph
    from gpufleet.policy.images import build_costs

    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    report = plan(path, program=ROOT / "__main__.py")
    planned = sorted(i.build.usd for i in report.images if i.build is not None)
    priced, unpriced = build_costs(Graph(plan_template(stack).resources).stack_resources(), load_catalog())
    assert not unpriced and planned
    assert sorted(b.usd for b in priced) == pytest.approx(planned, abs=1e-9)


def test_l4_template_worst_case_is_the_shared_cap() -> None:
    report = plan(STACKS / "Pulumi.aws-inference-l4-spot.yaml", program=ROOT / "__main__.py")
    _rg, cost = report.groups[0]
    assert cost.monthly_usd["max"] == pytest.approx(8 * 0.68432 * 730, abs=0.05)


def _write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    f = tmp_path / "Pulumi.pinned.yaml"
    f.write_text(yaml.safe_dump({"config": {"gpufleet:fleet": raw}}))
    return f


PINNED_ONLY = {
    "gpu": {"model": "L4-24GB", "count": 1, "instanceTypes": ["g6.xlarge"]},
    "capacity": {"min": 0, "desired": 1, "max": 2},
    "market": {"type": "spot", "maxPrices": {"g6.xlarge": 0.5}},
    "zones": ["us-east-1a"],
}


def test_a_pinned_cap_without_a_percentage_plans(tmp_path: Path) -> None:
    # Reproduction (issue 13): maxPrices without maxPricePercent crashed plan with a TypeError
    # in cost.py (exit 1, the policy-violation code).
    f = _write(tmp_path, fleet(PINNED_ONLY))
    result = CliRunner().invoke(app, ["plan", "--config", str(f), "--format", "json", "--as-of", "2026-11-24"])
    assert result.exit_code == 0, result.output
    group = json.loads(result.stdout)["groups"][0]
    assert group["monthlyUsd"]["max"] == pytest.approx(2 * 0.5 * 730)  # both nodes spot at the $0.50 cap
    assert "0.5" in group["spotBasis"]


def test_validate_labels_a_pinned_cap(tmp_path: Path) -> None:
    # Reproduction (issue 13): validate said "spot up to on-demand" for a group capped at $0.50.
    f = _write(tmp_path, fleet(PINNED_ONLY))
    result = CliRunner().invoke(app, ["validate", str(f)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "up to on-demand" not in result.output
    assert "0.5" in result.output


# Reading catalog prices or spot caps is the job of gpufleet.pricing alone.
PRICE_CALLS = {"quote", "price", "to_usd", "fx_rate", "priced_regions"}
"""Catalog methods that return prices (``catalog.quote(cloud, type, region, kind)`` and co.)."""
PRICE_ATTRS = {"prices"}
CAP_READS = {"max_price_percent", "max_prices", "max_prices_basis", "spot_cap"}
ALLOWED = {"pricing", "catalog"}
"""gpufleet.pricing is the model; gpufleet.catalog defines the data it reads."""
DEFINES = {"spec.py"}
"""The spec declares the fields."""


def _reads(node: ast.AST) -> bool:
    """A catalog price call (two or more arguments: shlex.quote(s) is not one) or a cap field."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in PRICE_CALLS:
        return len(node.args) + len(node.keywords) >= 2
    return isinstance(node, ast.Attribute) and node.attr in PRICE_ATTRS | CAP_READS


def test_only_the_pricing_model_reads_prices_and_caps() -> None:
    pkg = ROOT / "components" / "gpufleet"
    offenders: list[str] = []
    for f in sorted(pkg.rglob("*.py")):
        rel = f.relative_to(pkg)
        if rel.parts[0] in ALLOWED or str(rel) in DEFINES or "scripts" in rel.parts:  # scripts: node-side code
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if _reads(node):
                offenders.append(f"{rel}:{node.lineno} {ast.unparse(node)[:60]}")
    assert offenders == [], "\n".join(offenders)


def test_the_scan_sees_a_read(tmp_path: Path) -> None:
    # The scan itself can fail: a module that quotes a price is found.
    tree = ast.parse("def f(cat, g):\n    return cat.quote('aws', 'p5.48xlarge', 'us-east-1', 'on-demand')\n")
    assert any(_reads(n) for n in ast.walk(tree))
    assert any(_reads(n) for n in ast.walk(ast.parse("g.market.max_price_percent")))
    assert not any(_reads(n) for n in ast.walk(ast.parse("shlex.quote(v)")))


def test_cost_columns_are_labelled_and_schedules_count() -> None:
    # Reproduction (issue 13): "GPUs" was the max count and "$/h" the desired figure with no label,
    # and schedules were ignored: the L4 template showed $0 at desired while its schedules run
    # 2 nodes 08:00-20:00 New York time, Monday to Friday (60 h a week).
    from gpufleet.plan.report import render_markdown

    report = plan(STACKS / "Pulumi.aws-inference-l4-spot.yaml", program=ROOT / "__main__.py")
    md = render_markdown(report)
    for label in ("GPUs/node", "nodes min/desired/max", "GPUs min/desired/max", "$/month max", "$/month expected"):
        assert label in md, label
    _rg, cost = report.groups[0]
    assert cost.monthly_usd["desired"] == 0  # the initial size is 0 nodes
    # 2 nodes x 60 h a week, 730/168 weeks a month, at the shared spot cap.
    assert cost.expected_monthly_usd == pytest.approx(2 * 60 * 730 / 168 * 0.68432, abs=0.05)
    assert "120 node-hours a week" in cost.expected_basis and "not modelled" in cost.expected_basis
