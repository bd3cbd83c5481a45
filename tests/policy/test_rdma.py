"""rdma-consistency: EFA placement, InfiniBand placement groups, eRDMA deployment sets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policy.graphs import (
    ALI_LT,
    ASG,
    BUILDERS,
    DROP,
    DS,
    LT,
    PG,
    SC,
    VMSS,
    aws_graph,
    azure_graph,
    check,
    drop,
    erdma_graph,
    patch,
    where,
)

RDMA = "rdma-consistency"


@pytest.mark.parametrize("graph", [aws_graph, azure_graph, erdma_graph, BUILDERS["alicloud"]])
def test_consistent_rdma_passes(graph: object) -> None:
    assert check(graph(), RDMA) == []  # type: ignore[operator]


# AWS ---------------------------------------------------------------------------------------------


def test_efa_needs_a_cluster_placement_group() -> None:
    found = check(patch(aws_graph(), PG, {"strategy": "spread"}), RDMA)
    assert where(found) == ["demo-trainers-asg"] and "strategy 'spread'" in found[0].message


def test_efa_without_a_placement_group() -> None:
    graph = drop(patch(aws_graph(), ASG, {"placementGroup": DROP}), PG)
    found = check(graph, RDMA)
    assert where(found) == ["demo-trainers-asg"] and "without a placement group" in found[0].message
    assert "4 EFA interface(s)" in found[0].message


def test_efa_placement_group_outside_the_stack_cannot_be_checked() -> None:
    found = check(drop(aws_graph(), PG), RDMA)
    assert "not in this stack" in found[0].message


def test_placement_group_found_by_name_without_a_dependency_edge() -> None:
    # The engine's stack resources carry outputs (name) and may lack the edge; match by name.
    graph = [
        replace(r, dependencies=tuple(d for d in r.dependencies if "placementGroup" not in d)) for r in aws_graph()
    ]
    graph = patch(graph, PG, {"name": "demo-trainers-pg-1a2b3c", "strategy": "partition"})
    assert "strategy 'partition'" in check(graph, RDMA)[0].message


def test_efa_needs_one_subnet() -> None:
    found = check(patch(aws_graph(), ASG, {"vpcZoneIdentifiers": ["subnet-a", "subnet-b"]}), RDMA)
    assert where(found) == ["demo-trainers-asg"] and "2 subnets (subnet-a, subnet-b)" in found[0].message
    zones = patch(aws_graph(), ASG, {"vpcZoneIdentifiers": DROP, "availabilityZones": ["us-east-1a", "us-east-1b"]})
    assert "2 availability zones" in check(zones, RDMA)[0].message


def test_no_efa_no_requirement() -> None:
    graph = patch(aws_graph(), LT, {"networkInterfaces": [{"deviceIndex": 0.0, "associatePublicIpAddress": "false"}]})
    graph = patch(drop(graph, PG), ASG, {"placementGroup": DROP, "vpcZoneIdentifiers": ["subnet-a", "subnet-b"]})
    assert check(graph, RDMA) == []


def test_aws_rules_can_be_switched_off() -> None:
    graph = patch(patch(aws_graph(), PG, {"strategy": "spread"}), ASG, {"vpcZoneIdentifiers": ["a", "b"]})
    assert len(check(graph, RDMA)) == 2
    off = {RDMA: {"requireClusterPlacementGroup": False, "requireSingleSubnet": False}}
    assert check(graph, RDMA, off) == []


# Azure -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [False, DROP])
def test_infiniband_needs_a_single_placement_group(value: object) -> None:
    found = check(patch(azure_graph(), VMSS, {"singlePlacementGroup": value}), RDMA)
    assert where(found) == ["demo-trainers-vmss"] and "Standard_ND96isr_H100_v5" in found[0].message


def test_non_infiniband_sizes_may_span_placement_groups() -> None:
    assert check(patch(azure_graph(spot=True), VMSS, {"singlePlacementGroup": False}), RDMA) == []


# Alibaba -----------------------------------------------------------------------------------------


def test_erdma_needs_a_low_latency_deployment_set() -> None:
    found = check(erdma_graph(strategy="Availability"), RDMA)
    assert where(found) == ["demo-gn8is-group"] and "strategy 'Availability'" in found[0].message
    # The API default strategy is Availability, so an unset strategy fails too.
    assert "strategy 'Availability'" in check(patch(erdma_graph(), DS, {"strategy": DROP}), RDMA)[0].message


def test_erdma_from_a_scaling_configuration_alone() -> None:
    graph = [r for r in erdma_graph() if r.type not in (ALI_LT, DS)]
    graph = [replace(r, dependencies=()) if r.type != SC else r for r in graph]
    graph = patch(graph, "alicloud:ess/scalingGroup:ScalingGroup", {"launchTemplateId": DROP})
    found = check(graph, RDMA)
    assert "cannot name a deployment set" in found[0].message


def test_erdma_launch_template_without_a_deployment_set() -> None:
    found = check(drop(patch(erdma_graph(), ALI_LT, {"deploymentSetId": DROP}), DS), RDMA)
    assert "has no deploymentSetId" in found[0].message


def test_standard_traffic_needs_nothing() -> None:
    graph = patch(erdma_graph(strategy="Availability"), SC, {"networkInterfaces": [{"instanceType": "Primary"}]})
    assert check(graph, RDMA) == []
    assert check(erdma_graph(strategy="Availability"), RDMA, {RDMA: {"requireLowLatencyDeploymentSet": False}}) == []
