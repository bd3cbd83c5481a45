"""required-tags: on the GPU resources and on the instances they launch, all three clouds."""

from __future__ import annotations

import pytest

from gpufleet.policy import evaluate
from policy.graphs import (
    ALI_LT,
    ASG,
    BUILDERS,
    CLEAN_CONFIG,
    DROP,
    ESS,
    LT,
    SC,
    VMSS,
    alicloud_graph,
    check,
    patch,
    where,
)

REQUIRED = {"required-tags": {"requiredTags": ["owner", "cost-center"]}}


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_tagged_graphs_pass(cloud: str) -> None:
    assert check(BUILDERS[cloud](), "required-tags") == []


@pytest.mark.parametrize(
    ("cloud", "type_", "key", "name"),
    [
        ("aws", LT, "tags", "demo-trainers-lt"),
        ("azure", VMSS, "tags", "demo-trainers-vmss"),
        ("alicloud", ESS, "tags", "demo-servers-group"),
    ],
)
def test_a_resource_missing_its_own_tags_fails(cloud: str, type_: str, key: str, name: str) -> None:
    graph = patch(BUILDERS[cloud](), type_, {key: {"cost-center": DROP}})
    found = [v for v in check(graph, "required-tags", REQUIRED) if "is missing" in v.message]
    assert where(found) == [name] and "cost-center" in found[0].message


def test_aws_instance_tags_come_from_propagation_or_tag_specifications() -> None:
    graph = BUILDERS["aws"]()
    # Not propagated from the ASG, and not in the launch template's instance tag specs: fails.
    no_propagation = patch(
        graph,
        ASG,
        {
            "tags": [
                {"key": "owner", "value": "ml", "propagateAtLaunch": False},
                {"key": "cost-center", "value": "c", "propagateAtLaunch": False},
            ]
        },
    )
    no_specs = patch(no_propagation, LT, {"tagSpecifications": [{"resourceType": "volume", "tags": {"owner": "ml"}}]})
    found = [v for v in check(no_specs, "required-tags", REQUIRED) if "instances launched" in v.message]
    assert where(found) == ["demo-trainers-asg"]
    assert "owner, cost-center" in found[0].message and "propagateAtLaunch" in found[0].message
    # The launch template's instance tag specification alone is enough.
    assert check(no_propagation, "required-tags", REQUIRED) == []


def test_azure_instance_tags_are_the_scale_set_tags() -> None:
    graph = patch(BUILDERS["azure"](), VMSS, {"tags": {"cost-center": DROP}})
    found = [v for v in check(graph, "required-tags", REQUIRED) if "instances launched" in v.message]
    assert where(found) == ["demo-trainers-vmss"] and "cost-center" in found[0].message


def test_alibaba_instance_tags_come_from_the_launch_source() -> None:
    graph = patch(BUILDERS["alicloud"](), SC, {"tags": {"cost-center": DROP}})
    found = check(graph, "required-tags", REQUIRED)
    assert sorted(where(found)) == ["demo-servers-config", "demo-servers-config"]  # own tags and instance tags
    lt_graph = patch(alicloud_graph(launch_template=True), ALI_LT, {"tags": {"cost-center": DROP}})
    found = [v for v in check(lt_graph, "required-tags", REQUIRED) if "instances launched" in v.message]
    assert where(found) == ["demo-servers-lt"] and "launch template's tags" in found[0].message
    template = patch(alicloud_graph(launch_template=True), ALI_LT, {"templateTags": DROP})
    found = check(template, "required-tags", REQUIRED)
    assert where(found) == ["demo-servers-lt"] and "in 'templateTags'" in found[0].message


def test_empty_values_count_as_missing_unless_allowed() -> None:
    graph = patch(BUILDERS["azure"](), VMSS, {"tags": {"owner": ""}})
    assert check(graph, "required-tags", REQUIRED)
    allow = {"required-tags": {"requiredTags": ["owner", "cost-center"], "allowEmptyValues": True}}
    assert check(graph, "required-tags", allow) == []


def test_default_required_tags_are_gpufleets_own() -> None:
    graph = patch(BUILDERS["azure"](), VMSS, {"tags": {"gpufleet-fleet": DROP, "gpufleet-group": DROP}})

    config = {k: v for k, v in CLEAN_CONFIG.items() if k != "required-tags"}
    found = [v for v in evaluate(graph, config) if v.policy == "required-tags"]
    assert found and "gpufleet-fleet, gpufleet-group" in found[0].message
