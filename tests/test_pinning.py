"""gpufleet resolve: pinning keeps comments and order, and --check finds unpinned stacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpufleet.catalog import Catalog
from gpufleet.cli import app
from gpufleet.pinning import pin_stack_file
from helpers import TEMPLATES

UNPINNED = """\
# a comment that must survive
config:
  gpufleet:fleet:
    name: infer   # inline comment
    groups:
      - name: servers
        cloud: aws
        region: us-east-1
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
