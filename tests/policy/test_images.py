"""image-builder-hardening on the planned template (clean) and on deliberately weakened
builders; gpu-budget-cap counts one build of each image."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from contract_cases import plan_template
from gpufleet.plan.engine import CapturedResource
from gpufleet.policy import evaluate
from gpufleet.policy.budget import GPU_BUDGET_CAP
from gpufleet.policy.images import IB_INFRA, IB_RECIPE, IMAGE_BUILDER_HARDENING
from helpers import ROOT

STACK = "aws-images-l4"


@pytest.fixture(scope="module")
def planned() -> list[CapturedResource]:
    return plan_template(STACK).resources


def changed(resources: list[CapturedResource], type_: str, change: Callable[[dict[str, Any]], None]) -> list[Any]:
    out = []
    for r in resources:
        if r.type == type_:
            inputs = copy.deepcopy(r.inputs)
            change(inputs)
            r = dataclasses.replace(r, inputs=inputs)
        out.append(r)
    return out


def hardening(resources: list[Any]) -> list[str]:
    return [v.message for v in evaluate(resources, {}, policies=[IMAGE_BUILDER_HARDENING])]


def test_the_template_builder_is_hardened(planned: list[CapturedResource]) -> None:
    assert hardening(planned) == []


@pytest.mark.parametrize(
    ("type_", "change", "expect"),
    [
        (IB_INFRA, lambda i: i["instanceMetadataOptions"].update(httpTokens="optional"), "allows IMDSv1"),
        (IB_INFRA, lambda i: i.pop("subnetId"), "no subnetId"),
        (IB_INFRA, lambda i: i.pop("resourceTags"), "no resourceTags"),
        (IB_INFRA, lambda i: i["resourceTags"].pop("gpufleet-image"), "lack gpufleet-image"),
        (IB_RECIPE, lambda i: i["blockDeviceMappings"][0]["ebs"].update(encrypted="false"), "is not encrypted"),
        (IB_RECIPE, lambda i: i.pop("blockDeviceMappings"), "declares no blockDeviceMappings"),
    ],
)
def test_a_weakened_builder_is_refused(
    planned: list[CapturedResource], type_: str, change: Callable[[dict[str, Any]], None], expect: str
) -> None:
    messages = hardening(changed(planned, type_, change))
    assert any(expect in m for m in messages), messages


def _budget(resources: list[Any], cap: float) -> list[str]:
    config = {"gpu-budget-cap": {"maxMonthlyUsd": cap, "enforcementLevel": "mandatory"}}
    return [v.message for v in evaluate(resources, config, policies=[GPU_BUDGET_CAP])]


def test_the_budget_counts_one_build(planned: list[CapturedResource]) -> None:
    from gpufleet.plan.run import plan

    groups_max = plan(ROOT / "stacks" / f"Pulumi.{STACK}.yaml").totals()["monthlyUsd"]["max"]
    build = 0.8048  # 1 h x g6.xlarge on-demand in us-east-1 (gpu_prices.csv, 2026-07-20)
    assert _budget(planned, groups_max + build + 0.05) == []
    over = _budget(planned, groups_max + build - 0.05)
    assert over and "image build" in over[0] and "one-time" in over[0]


def test_a_build_without_its_hours_cannot_be_priced(planned: list[CapturedResource]) -> None:
    bad = changed(planned, IB_INFRA, lambda i: i["tags"].pop("gpufleet-build-hours"))
    assert any("no numeric 'gpufleet-build-hours' tag" in m for m in _budget(bad, 1e9))
