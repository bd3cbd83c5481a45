"""Shared helpers for the contract tests: plan a fleet or a template under the mock engine."""

from __future__ import annotations

from typing import Any

import yaml

from gpufleet.contract.base import Finding
from gpufleet.plan.engine import ProgramRun, run_program
from helpers import ROOT, STACKS, fleet

PROGRAM = ROOT / "__main__.py"
TEMPLATES = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in STACKS.glob("Pulumi.*.yaml"))


def plan_template(stack: str) -> ProgramRun:
    doc = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text())
    return run_program(PROGRAM, doc["config"], stack=stack)


def plan_fleet(value: dict[str, Any], stack: str = "contract") -> ProgramRun:
    return run_program(PROGRAM, {"gpufleet:fleet": value}, stack=stack)


def aws_group(**over: Any) -> dict[str, Any]:
    """One AWS group (helpers.BASE_GROUP with overrides) as a whole fleet value."""
    return fleet(over)


# The specs the AWS review and issue 14 name (reviews/aws-fidelity.md "9 extra specs").
NAMED_SPECS: dict[str, dict[str, Any]] = {
    # p6-b300 with RDMA: card 0 takes only an ENA interface (issue 14 item 1)
    "p6-b300-rdma": aws_group(gpu={"model": "B300", "count": 8, "instanceTypes": ["p6-b300.48xlarge"]}, rdma=True),
    # p6-b200 with RDMA: 8 EFA cards, every card takes EFA (clean)
    "p6-b200-rdma": aws_group(gpu={"model": "B200", "count": 8, "instanceTypes": ["p6-b200.48xlarge"]}, rdma=True),
    # Tokyo, created network, no zones: defaults to ap-northeast-1a/b; 1b takes no subnets (item 2)
    "tokyo-no-zones": aws_group(region="ap-northeast-1", zones=[], gpu={"model": "A10G-24GB", "count": 1}),
    # H200 by model with RDMA: resolves to p5en + p5e (item 4; not a request-level defect)
    "h200-by-model": aws_group(region="us-west-2", zones=["us-west-2a"], gpu={"model": "H200", "count": 8}, rdma=True),
    # p3dn: V100 on the default image (item 5; not a request-level defect)
    "p3dn": aws_group(gpu={"model": "V100-32GB", "count": 8, "instanceTypes": ["p3dn.24xlarge"]}),
    # a schedule above max without raising max (item 6)
    "schedule-above-max": aws_group(
        gpu={"model": "A10G-24GB", "count": 1},
        capacity={"min": 0, "desired": 1, "max": 4},
        autoscaling={"schedules": [{"name": "peak", "cron": "0 20 * * 1-5", "desired": 10}]},
    ),
}


def assert_fires(findings: list[Finding], rule_id: str, field: str | None = None) -> Finding:
    """The negative-test assertion: ``rule_id`` fired (on ``field`` if given).

    tests/contract/test_meta.py finds every ``assert_fires(..., "<rule id>")`` in tests/contract/ and fails when a
    registered rule, a model check or a mapping has none: removing a rule must break a test.
    """
    hits = [f for f in findings if f.rule == rule_id and (field is None or f.field == field)]
    assert hits, f"{rule_id} did not fire on {field or 'any field'}; findings: {[(f.rule, f.field) for f in findings]}"
    return hits[0]
