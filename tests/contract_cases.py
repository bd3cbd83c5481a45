"""Shared helpers for the contract tests: plan a fleet or a template under the mock engine."""

from __future__ import annotations

from typing import Any

import yaml

from contract_templates import TEMPLATE_FILES, TEMPLATES
from gpufleet.contract.base import Finding
from gpufleet.plan.engine import ProgramRun, run_program
from helpers import ROOT, fleet

PROGRAM = ROOT / "__main__.py"
__all__ = ["TEMPLATES", "assert_fires", "plan_fleet", "plan_template"]


def plan_template(stack: str) -> ProgramRun:
    doc = yaml.safe_load(TEMPLATE_FILES[stack].read_text())
    return run_program(PROGRAM, doc["config"], stack=stack)


def plan_fleet(value: dict[str, Any], stack: str = "contract") -> ProgramRun:
    return run_program(PROGRAM, {"gpufleet:fleet": value}, stack=stack)


def aws_group(**over: Any) -> dict[str, Any]:
    """One AWS group (helpers.BASE_GROUP with overrides) as a whole fleet value."""
    return fleet(over)


# The specs the AWS review and issue 14 name (reviews/aws-fidelity.md "9 extra specs"). The p3dn
# (V100) spec is refused at validation now (the default DLAMI's R595 driver does not drive Volta):
# tests/contract/test_aws.py::test_p3dn_on_the_default_image_is_refused_before_any_request.
# A schedule above the group's max without raising it (issue 14 item 6) is refused at validation
# now, on every cloud: tests/contract/test_aws.py::test_schedule_above_max_is_refused_before_any_request.
SCHEDULE_ABOVE_MAX_SPEC = aws_group(
    gpu={"model": "A10G-24GB", "count": 1},
    capacity={"min": 0, "desired": 1, "max": 4},
    autoscaling={"schedules": [{"name": "peak", "cron": "0 20 * * 1-5", "desired": 10}]},
)

# H200 by model with RDMA resolves to p5en + p5e, whose EFA card layouts differ (issue 14 item 4):
# refused at validation: tests/contract/test_aws.py::test_h200_by_model_with_rdma_is_refused_before_any_request.
H200_BY_MODEL_SPEC = aws_group(region="us-west-2", zones=["us-west-2a"], gpu={"model": "H200", "count": 8}, rdma=True)

# Tokyo, created network, no zones: defaulted to ap-northeast-1a/b, and 1b takes no subnets (issue 14
# item 2). Refused now: tests/contract/test_aws.py::test_tokyo_without_zones_is_refused_before_any_request.
TOKYO_NO_ZONES_SPEC = aws_group(region="ap-northeast-1", zones=[], gpu={"model": "A10G-24GB", "count": 1})

NAMED_SPECS: dict[str, dict[str, Any]] = {
    # p6-b300 with RDMA: card 0 takes only an ENA interface (issue 14 item 1)
    "p6-b300-rdma": aws_group(gpu={"model": "B300", "count": 8, "instanceTypes": ["p6-b300.48xlarge"]}, rdma=True),
    # p6-b200 with RDMA: 8 EFA cards, every card takes EFA (clean)
    "p6-b200-rdma": aws_group(gpu={"model": "B200", "count": 8, "instanceTypes": ["p6-b200.48xlarge"]}, rdma=True),
}


def template_fleet(stack: str) -> dict[str, Any]:
    """The ``gpufleet:fleet`` value of a stack template."""
    value: dict[str, Any] = yaml.safe_load(TEMPLATE_FILES[stack].read_text())["config"]["gpufleet:fleet"]
    return value


def _one_group(stack: str, **over: Any) -> dict[str, Any]:
    """A template's fleet with its first group changed by ``over``."""
    value = template_fleet(stack)
    return {**value, "groups": [{**value["groups"][0], **over}]}


_ALI = template_fleet("alicloud-inference-a10-spot")["groups"][0]

# Specs that show today's Azure and Alibaba defects (issues 15, 16; reviews azure-*/alicloud-*).
CLOUD_DEFECT_SPECS: dict[str, dict[str, Any]] = {
    # a mixed non-IB group becomes a Flexible set with a SystemAssigned identity (issue 15 item 2);
    # multi-hour and multi-minute crons become multi-value recurrences (issue 15 item 1). 1 + 2 + 16
    # start times = 19 profiles, within Azure's 20 (one more hour is refused: tests/azure/test_rules.py)
    "azure-mixed-multi-hour": _one_group(
        "azure-inference-a10-spot",
        market={"type": "mixed", "onDemandBase": 1, "maxPricePercent": 60},
        autoscaling={
            "gpuUtilizationTarget": 60,
            "schedules": [
                {"name": "twice-daily", "cron": "0 8,20 * * 1-5", "timezone": "America/New_York", "min": 1},
                {"name": "half-hourly", "cron": "*/30 9-16 * * *", "timezone": "America/New_York", "min": 1},
            ],
        },
    ),
}


# Issue 16's reproducers, now refused at spec time (alicloud/rules.py): spec -> the problem paths.
ALICLOUD_REFUSED_SPECS: dict[str, tuple[dict[str, Any], list[str]]] = {
    # desired 0 is dropped by the provider's GetOk, so a task that sets desired would be rejected;
    # '0,30 9 * * *' runs twice an hour; '1-5' is a day-of-week whose ESS numbering is unsourced
    "alicloud-desired-zero-half-hourly": (
        _one_group(
            "alicloud-inference-a10-spot",
            capacity={"min": 0, "desired": 0, "max": 6},
            autoscaling={
                **_ALI["autoscaling"],
                "schedules": [
                    {"name": "peak", "cron": "0 9 * * 1-5", "timezone": "Asia/Shanghai", "desired": 2},
                    {"name": "twice", "cron": "0,30 9 * * *", "timezone": "UTC", "min": 1},
                ],
            },
        ),
        [
            "groups[0].autoscaling.schedules[0]",
            "groups[0].autoscaling.schedules[0].desired",
            "groups[0].autoscaling.schedules[1]",
        ],
    ),
    # the template's shape before issue 16: a group sent with desired 1 and min-only weekday schedules
    "alicloud-min-only-schedule": (
        _one_group(
            "alicloud-inference-a10-spot",
            autoscaling={
                **_ALI["autoscaling"],
                "schedules": [
                    {"name": "office-hours", "cron": "0 9 * * 1-5", "timezone": "Asia/Shanghai", "min": 1},
                    {"name": "night", "cron": "0 21 * * *", "timezone": "Asia/Shanghai", "min": 0},
                ],
            },
        ),
        [
            "groups[0].autoscaling.schedules[0]",
            "groups[0].autoscaling.schedules[0].desired",
            "groups[0].autoscaling.schedules[1].desired",
        ],
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


# V100 on the default image (issue 14 item 5): refused at spec time, so it never reaches a request.
P3DN_SPEC = aws_group(gpu={"model": "V100-32GB", "count": 8, "instanceTypes": ["p3dn.24xlarge"]})
