"""gpufleet resolve: pinning keeps comments and order, and --check finds unpinned stacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpufleet.catalog import Catalog
from gpufleet.cli import app
from gpufleet.pinning import pin_stack_file
from helpers import STACKS, TEMPLATES

UNPINNED = """\
# a comment that must survive
config:
  gpufleet:fleet:
    name: infer   # inline comment
    groups:
      - name: servers
        cloud: aws
        region: us-east-1
        zones: [us-east-1a]
        gpu: {model: L4, count: 1}
        capacity: {min: 0, max: 2}
        market: {type: spot, maxPricePercent: 50}
        network: {create: true}
"""


def test_pins_types_and_caps_keeping_comments(tmp_path: Path, catalog: Catalog) -> None:
    f = tmp_path / "Pulumi.t.yaml"
    f.write_text(UNPINNED)
    r = pin_stack_file(f, catalog)
    assert r.changed
    assert "# a comment that must survive" in r.after and "# inline comment" in r.after
    assert "instanceTypes: [g6.xlarge" in r.after
    assert "maxPrices: {g6.xlarge: 0.4024" in r.after  # 50% of 0.8048 (us-east-1, 2026-07-20)
    # only the two lines that gain pinned values change
    removed = [ln for ln in r.diff().splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert [ln.split(":")[0].strip("- ") for ln in removed] == ["gpu", "market"]
    f.write_text(r.after)
    assert not pin_stack_file(f, catalog).changed  # idempotent


def test_check_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    f = tmp_path / "Pulumi.t.yaml"
    f.write_text(UNPINNED)
    result = CliRunner().invoke(app, ["resolve", "--config", str(f), "--check"])
    assert result.exit_code == 1
    assert f.read_text() == UNPINNED
    result = CliRunner().invoke(app, ["resolve", "--config", str(f)])
    assert result.exit_code == 0 and "wrote" in result.output
    assert CliRunner().invoke(app, ["resolve", "--config", str(f), "--check"]).exit_code == 0


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_is_pinned(path: Path) -> None:
    result = CliRunner().invoke(app, ["resolve", "--config", str(path), "--check"])
    assert result.exit_code == 0, result.output


def test_a_pin_moved_to_another_region_is_caught_and_re_pinned(tmp_path: Path, catalog: Catalog) -> None:
    # Reproduction (issue 13): moving a pinned template to another region kept the old region's caps
    # ("cap 60%", in fact 46% of the new on-demand price) and 'resolve --check' said "already pinned".
    # Standard_NV36ads_A10_v5 on-demand: eastus 3.2, westeurope 4.16 (catalog, 2026-06-18).
    text = (STACKS / "Pulumi.azure-inference-a10-spot.yaml").read_text()
    assert "region: eastus\n" in text and "Standard_NV36ads_A10_v5: 1.92" in text  # 60% of 3.2
    f = tmp_path / "Pulumi.moved.yaml"
    f.write_text(text.replace("region: eastus\n", "region: westeurope\n"))
    result = CliRunner().invoke(app, ["resolve", "--config", str(f), "--check"])
    assert result.exit_code == 1, result.output
    r = pin_stack_file(f, catalog)
    assert "Standard_NV36ads_A10_v5: 2.496" in r.after  # 60% of 4.16
    assert 'maxPricesBasis: {region: westeurope, pricesAsOf: "2026-06-18"}' in r.after
    assert any("computed for eastus" in c for c in r.changes), r.changes
    f.write_text(r.after)
    assert not pin_stack_file(f, catalog).changed


def test_a_hand_pinned_cap_that_moved_is_reported_stale(tmp_path: Path) -> None:
    # Without maxPricePercent there is nothing to recompute: --check fails and says why.
    text = (STACKS / "Pulumi.azure-inference-a10-spot.yaml").read_text()
    f = tmp_path / "Pulumi.moved.yaml"
    f.write_text(text.replace("region: eastus\n", "region: westeurope\n").replace("maxPricePercent: 60, ", ""))
    result = CliRunner().invoke(app, ["resolve", "--config", str(f), "--check"])
    assert result.exit_code == 1 and "computed for eastus" in result.output, result.output
