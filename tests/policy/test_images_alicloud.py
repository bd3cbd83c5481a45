"""image-builder-hardening and gpu-budget-cap on Alibaba Image Builder: the planned
alicloud-images-a10 template (clean, and its build in the budget) and deliberately weakened
image templates (``ecs.EcsImagePipeline``)."""

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
from gpufleet.policy.images import ALI_IB_PIPELINE, IMAGE_BUILDER_HARDENING

STACK = "alicloud-images-a10"

# Catalog rows (components/gpufleet/catalog/data), read by hand, not through the code under test:
# gpu_prices.csv "alicloud,ecs.gn7i-c8g1.2xlarge,cn-beijing,9.5326,,2024-10-09" (the builder),
# gpu_prices.csv "alicloud,ecs.gn7i-c16g1.4xlarge,cn-beijing,10.0934,,2024-10-09" (the group's
# dearer type), fx.csv "CNY,0.150311,2026-10-30" (USD per CNY).
BUILDER_CNY_H = 9.5326
GROUP_CNY_H = 10.0934
USD_PER_CNY = 0.150311
BUILD_HOURS = 1  # the template's builder.hours
GROUP_MAX = 6  # the template's servers capacity.max, all on-demand
BUILD_USD = BUILD_HOURS * BUILDER_CNY_H * USD_PER_CNY  # 1.4328...
GROUPS_USD = GROUP_MAX * GROUP_CNY_H * 730 * USD_PER_CNY  # 730 h/month (pricing.HOURS_PER_MONTH)


@pytest.fixture(scope="module")
def planned() -> list[CapturedResource]:
    return plan_template(STACK).resources


def changed(resources: list[CapturedResource], change: Callable[[CapturedResource], CapturedResource]) -> list[Any]:
    return [change(r) if r.type == ALI_IB_PIPELINE else r for r in resources]


def inputs_changed(change: Callable[[dict[str, Any]], None]) -> Callable[[CapturedResource], CapturedResource]:
    def apply(r: CapturedResource) -> CapturedResource:
        inputs = copy.deepcopy(r.inputs)
        change(inputs)
        return dataclasses.replace(r, inputs=inputs)

    return apply


def hardening(resources: list[Any]) -> list[str]:
    return [v.message for v in evaluate(resources, {}, policies=[IMAGE_BUILDER_HARDENING])]


def pipeline(resources: list[CapturedResource]) -> CapturedResource:
    (found,) = [r for r in resources if r.type == ALI_IB_PIPELINE]
    return found


def test_the_template_pipeline_is_hardened_and_checked(planned: list[CapturedResource]) -> None:
    inputs = pipeline(planned).inputs
    # What the SDK asks for, read from the inputs directly: no public bandwidth, a named vSwitch.
    assert inputs["internetMaxBandwidthOut"] == 0 and inputs["vswitchId"].startswith("vsw-")
    assert hardening(planned) == []
    # ... and it passes because it is hardened, not because the policy skips Alibaba templates.
    assert hardening(changed(planned, inputs_changed(lambda i: i.update(internetMaxBandwidthOut=5))))


def test_a_violating_pipeline_is_reported_on_every_count(planned: list[CapturedResource]) -> None:
    def weaken(i: dict[str, Any]) -> None:
        i["internetMaxBandwidthOut"] = 10
        i.pop("vswitchId")
        i["tags"] = {"owner": "ml-serving"}

    messages = hardening(changed(planned, inputs_changed(weaken)))
    assert len(messages) == 3, messages
    assert all("img-a10-a10-r580-template" in m for m in messages)
    assert any("internetMaxBandwidthOut is 10 Mbit/s" in m and "public IP" in m for m in messages)
    assert any("no vswitchId" in m for m in messages)
    assert any("tags lack gpufleet-fleet, gpufleet-image" in m for m in messages)


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (lambda i: i.update(internetMaxBandwidthOut=1), "internetMaxBandwidthOut is 1 Mbit/s"),
        (lambda i: i.pop("vswitchId"), "no vswitchId"),
        (lambda i: i.pop("tags"), "no tags"),
        (lambda i: i["tags"].pop("gpufleet-image"), "tags lack gpufleet-image"),
    ],
)
def test_each_weakening_is_refused(
    planned: list[CapturedResource], change: Callable[[dict[str, Any]], None], expect: str
) -> None:
    messages = hardening(changed(planned, inputs_changed(change)))
    assert len(messages) == 1 and expect in messages[0], messages


def test_absent_bandwidth_is_the_default_zero(planned: list[CapturedResource]) -> None:
    # CreateImagePipelineRequest.internet_max_bandwidth_out: "Default value: 0" (SDK docstring), so
    # omitting it is no public IP; the missing vSwitch in the same template is still reported.
    messages = hardening(
        changed(planned, inputs_changed(lambda i: (i.pop("internetMaxBandwidthOut"), i.pop("vswitchId"))))
    )
    assert len(messages) == 1 and "no vswitchId" in messages[0], messages


def test_required_tags_follow_the_policy_config(planned: list[CapturedResource]) -> None:
    config = {"image-builder-hardening": {"requiredResourceTags": ["cost-center", "team"]}}
    messages = [v.message for v in evaluate(planned, config, policies=[IMAGE_BUILDER_HARDENING])]
    assert len(messages) == 1 and "tags lack team" in messages[0], messages


def _budget(resources: list[Any], cap: float, **extra: Any) -> list[str]:
    config = {"gpu-budget-cap": {"maxMonthlyUsd": cap, "enforcementLevel": "mandatory", **extra}}
    return [v.message for v in evaluate(resources, config, policies=[GPU_BUDGET_CAP])]


def test_the_budget_counts_one_alibaba_build(planned: list[CapturedResource]) -> None:
    total = GROUPS_USD + BUILD_USD
    assert _budget(planned, total + 0.05) == []
    over = _budget(planned, total - 0.05)
    assert len(over) == 1, over
    line = "image build 'img-a10-a10-r580-template': 1 h x ecs.gn7i-c8g1.2xlarge 9.5326 CNY/h = $1.43 (one-time)"
    assert line in over[0], over[0]


def test_the_build_uses_the_configured_cny_rate(planned: list[CapturedResource]) -> None:
    # One conversion for groups and builds: cnyUsdRate replaces the catalog rate for both.
    over = _budget(planned, 0, cnyUsdRate=0.2)
    assert f"= ${BUILD_HOURS * BUILDER_CNY_H * 0.2:,.2f} (one-time)" in over[0], over[0]  # $1.91


def test_a_build_without_its_hours_cannot_be_priced(planned: list[CapturedResource]) -> None:
    bad = changed(planned, inputs_changed(lambda i: i["tags"].pop("gpufleet-build-hours")))
    assert any("no numeric 'gpufleet-build-hours' tag" in m for m in _budget(bad, 1e9))


def test_a_build_whose_region_is_invisible_cannot_be_priced(planned: list[CapturedResource]) -> None:
    # Alibaba templates have no region input: with the default provider (no explicit one) the
    # region is unknown offline, and the budget says so instead of guessing.
    bad = changed(planned, lambda r: dataclasses.replace(r, provider=""))
    messages = _budget(bad, 1e9)
    assert any("image build 'img-a10-a10-r580-template'" in m and "region cannot be determined" in m for m in messages)


def test_a_build_without_an_instance_type_cannot_be_priced(planned: list[CapturedResource]) -> None:
    bad = changed(planned, inputs_changed(lambda i: i.pop("instanceType")))
    assert any("no builder instance type" in m for m in _budget(bad, 1e9))
