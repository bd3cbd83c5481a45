"""The Pulumi program (__main__.py) under the recording mock engine."""

from __future__ import annotations

import pytest
import yaml

from gpufleet.plan.engine import run_program
from helpers import ROOT, TEMPLATES, fleet

PROGRAM = ROOT / "__main__.py"


def test_program_exports_the_validated_spec() -> None:
    run = run_program(PROGRAM, {"gpufleet:fleet": fleet({"gpu": {"model": "h100-80gb", "count": 8}})}, stack="t")
    exported = run.outputs["fleet"]
    assert exported["name"] == "demo"
    assert exported["groups"][0]["capacity"] == {"mode": "elastic", "min": 0, "desired": 1, "max": 4}
    assert exported["groups"][0]["market"]["type"] == "on-demand"  # defaults are filled in
    assert any("pin them with 'gpufleet resolve'" in msg for level, msg in run.log if level == "warning")


def test_program_refuses_a_bad_config_without_declaring_anything() -> None:
    import pulumi

    with pytest.raises(pulumi.RunError, match=r"groups\[0\]\.capcity: unknown key"):
        run_program(PROGRAM, {"gpufleet:fleet": fleet({"capcity": {"max": 2}})}, stack="bad")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_template_runs(path: object) -> None:
    doc = yaml.safe_load(path.read_text())  # type: ignore[attr-defined]
    run = run_program(PROGRAM, doc["config"], stack=path.name)  # type: ignore[attr-defined]
    assert run.outputs["fleet"]["groups"]
