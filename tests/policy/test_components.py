"""The policies over graphs captured from the real program and the real cloud components.

Each cloud's graph comes from ``run_program(ROOT / "__main__.py", ...)`` under the
recording mocks, so these tests see exactly the shapes gpufleet's components register.
A cloud whose ``gpufleet.<cloud>.component`` module does not exist yet is skipped with
the module's name; everything else (an import error inside it, a failing build) fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from gpufleet.plan.engine import CapturedResource, run_program
from helpers import DROP, ROOT, fleet
from policy.graphs import CLEAN_CONFIG, LT, SC, VMSS, b64, check, patch, where

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILL8VYuTuYqU/gYd87ZS+SCmgJqvN/yuifqkYE0jPnGo policy-tests"
LEAN_BOOTSTRAP = {"healthCheck": False, "dcgm": False}  # keeps AWS user data under its 16 KB limit

GROUPS: dict[str, dict[str, Any]] = {
    # EFA training: p5.48xlarge, one on-demand node, spot capped at 80%.
    "aws": {"name": "trainers", "cloud": "aws", "region": "us-east-1", "zones": ["us-east-1a"],
            "gpu": {"model": "H100-80GB", "count": 8, "instanceTypes": ["p5.48xlarge"]},
            "capacity": {"min": 0, "desired": 1, "max": 4}, "rdma": True,
            "market": {"type": "mixed", "onDemandBase": 1, "maxPricePercent": 80}, "bootstrap": LEAN_BOOTSTRAP,
            "autoscaling": {"gpuUtilizationTarget": 70}},
    # InfiniBand training: ND H100 v5, on-demand.
    "azure": {"name": "trainers", "cloud": "azure", "region": "eastus", "zones": DROP,
              "gpu": {"model": "H100-80GB", "count": 8, "instanceTypes": ["Standard_ND96isr_H100_v5"]},
              "capacity": {"min": 0, "desired": 1, "max": 4}, "rdma": True, "access": {"sshPublicKeys": [KEY]},
              "autoscaling": {"gpuUtilizationTarget": 70}},
    # A10 inference, spot at 60% of on-demand.
    "alicloud": {"name": "servers", "cloud": "alicloud", "region": "cn-beijing", "zones": ["cn-beijing-h"],
                 "gpu": {"model": "A10-24GB", "count": 1, "instanceTypes": ["ecs.gn7i-c8g1.2xlarge"]},
                 "capacity": {"min": 0, "desired": 1, "max": 6}, "market": {"type": "spot", "maxPricePercent": 60},
                 "bootstrap": LEAN_BOOTSTRAP, "autoscaling": {"gpuUtilizationTarget": 60}},
}  # fmt: skip
GPUS = {"aws": 32, "azure": 32, "alicloud": 6}
MAX = {"aws": 4, "azure": 4, "alicloud": 6}
GROUP_TYPE = {
    "aws": "aws:autoscaling/group:Group",
    "azure": VMSS,
    "alicloud": "alicloud:ess/scalingGroup:ScalingGroup",
}
OTHER_REGION = {
    "aws": ("us-west-2", ["us-west-2a"]),
    "azure": ("westus2", None),
    "alicloud": ("cn-shenzhen", ["cn-shenzhen-d"]),
}


def _freeze(value: Any) -> Any:
    import json

    return json.dumps(value, sort_keys=True, default=lambda o: "<DROP>")


@functools.cache
def _capture(cloud: str, overrides: str) -> tuple[CapturedResource, ...]:
    import json

    group = {**GROUPS[cloud], **json.loads(overrides)}
    group = {k: (DROP if v == "<DROP>" else v) for k, v in group.items()}
    config = fleet(group, tags={"owner": "ml-platform", "cost-center": "cc-1234"})
    run = run_program(ROOT / "__main__.py", {"gpufleet:fleet": config}, stack=f"policy-{cloud}")
    return tuple(run.resources)


def capture(cloud: str, **overrides: Any) -> list[CapturedResource]:
    return list(_capture(cloud, _freeze(overrides)))


# Passing: what the components build is clean under a normal config --------------------------------


@pytest.mark.parametrize("cloud", sorted(GROUPS))
def test_component_graphs_pass_every_policy(cloud: str) -> None:
    graph = capture(cloud)
    assert any(r.type == GROUP_TYPE[cloud] for r in graph)
    found = check(graph)
    assert found == [], "\n".join(f"{v.policy}: {v.message}" for v in found)


# Failing: the same real graphs, with config or one property changed ---------------------------------


@pytest.mark.parametrize("cloud", sorted(GROUPS))
def test_region_outside_the_allowlist(cloud: str) -> None:
    region, zones = OTHER_REGION[cloud]
    graph = capture(cloud, region=region, **({"zones": zones} if zones else {}))
    found = check(graph, "allowed-regions")
    cloud_resources = {r.name for r in graph if r.custom and not r.type.startswith("pulumi:")}
    assert set(where(found)) == cloud_resources and f"region '{region}'" in found[0].message


@pytest.mark.parametrize("cloud", sorted(GROUPS))
def test_budget_and_quota(cloud: str) -> None:
    graph = capture(cloud)
    found = check(graph, "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": 100}})
    assert len(found) == 1 and GROUP_TYPE[cloud] in found[0].message
    assert f"max {MAX[cloud]} =" in found[0].message  # Azure: the max of the autoscale setting
    assert check(graph, "gpu-quota", {"gpu-quota": {"maxGpus": GPUS[cloud]}}) == []
    assert check(graph, "gpu-quota", {"gpu-quota": {"maxGpus": GPUS[cloud] - 1}})


@pytest.mark.parametrize("cloud", ["aws", "alicloud"])
def test_spot_cap_above_the_limit(cloud: str) -> None:
    market = (
        {"type": "mixed", "onDemandBase": 1, "maxPricePercent": 95}
        if cloud == "aws"
        else {"type": "spot", "maxPricePercent": 95}
    )
    found = check(capture(cloud, market=market), "spot-price-cap")
    assert found and "= 95% of on-demand" in found[0].message


def test_azure_spot_cap_above_the_limit() -> None:
    spot = {
        "gpu": {"model": "A10-24GB", "count": 1, "instanceTypes": ["Standard_NV36ads_A10_v5"]},
        "rdma": False,
        "market": {"type": "spot", "maxPricePercent": 95},
    }
    found = check(capture("azure", **spot), "spot-price-cap")
    assert found and "= 95% of on-demand" in found[0].message


@pytest.mark.parametrize("cloud", sorted(GROUPS))
def test_required_tags_reach_resources_and_instances(cloud: str) -> None:
    found = check(capture(cloud), "required-tags", {"required-tags": {"requiredTags": ["team"]}})
    assert any("instances launched" in v.message for v in found)
    assert any("is missing required tag(s) team" in v.message for v in found)


LEAK = b64("#cloud-config\nruncmd:\n  - export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n")
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AWS_PG = "aws:ec2/placementGroup:PlacementGroup"
ALI_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"


def _first(graph: list[CapturedResource], type_: str) -> CapturedResource:
    return next(r for r in graph if r.type == type_)


def _aws_public_nic(graph: list[CapturedResource]) -> list[CapturedResource]:
    nics = [dict(n) for n in _first(graph, LT).inputs["networkInterfaces"]]
    nics[0]["associatePublicIpAddress"] = "true"
    return patch(graph, LT, {"networkInterfaces": nics})


def _azure_public_ip(graph: list[CapturedResource]) -> list[CapturedResource]:
    profile = _first(graph, VMSS).inputs["virtualMachineProfile"]
    nic = dict(profile["networkProfile"]["networkInterfaceConfigurations"][0])
    nic["ipConfigurations"] = [{**nic["ipConfigurations"][0], "publicIPAddressConfiguration": {"name": "pub"}}]
    return patch(graph, VMSS, {"virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [nic]}}})


def _azure_open_rule(graph: list[CapturedResource]) -> list[CapturedResource]:
    nsg = "azure-native:network:NetworkSecurityGroup"
    rules = [
        *_first(graph, nsg).inputs["securityRules"],
        {
            "name": "ssh",
            "direction": "Inbound",
            "access": "Allow",
            "protocol": "Tcp",
            "priority": 300.0,
            "sourceAddressPrefix": "Internet",
            "destinationPortRange": "22",
        },
    ]
    return patch(graph, nsg, {"securityRules": rules})


Breaker = Callable[[list[CapturedResource]], list[CapturedResource]]

# (cloud, policy, how the real graph is weakened, extra config): every resource policy and
# the RDMA rules on every cloud where the cloud has the setting (Azure has no IMDS token mode).
WEAKENED: list[tuple[str, str, Breaker, dict[str, Any]]] = [
    ("aws", "imdsv2-required", lambda g: patch(g, LT, {"metadataOptions": {"httpTokens": "optional"}}), {}),
    ("aws", "encrypted-disks", lambda g: patch(g, LT, {"blockDeviceMappings": DROP}), {}),
    ("aws", "no-public-ip", _aws_public_nic, {}),
    ("aws", "no-open-ingress", lambda g: patch(g, INGRESS_RULE, {"cidrIpv4": "0.0.0.0/0"}), {}),
    ("aws", "no-secrets-in-user-data", lambda g: patch(g, LT, {"userData": LEAK}), {}),
    ("aws", "rdma-consistency", lambda g: patch(g, AWS_PG, {"strategy": "spread"}), {}),
    ("azure", "encrypted-disks",
     lambda g: patch(g, VMSS, {"virtualMachineProfile": {"securityProfile": {"encryptionAtHost": DROP}}}), {}),
    ("azure", "no-public-ip", _azure_public_ip, {}),
    ("azure", "no-open-ingress", _azure_open_rule, {}),
    ("azure", "no-secrets-in-user-data",
     lambda g: patch(g, VMSS, {"virtualMachineProfile": {"osProfile": {"customData": LEAK}}}), {}),
    ("azure", "rdma-consistency", lambda g: patch(g, VMSS, {"singlePlacementGroup": False}), {}),
    ("alicloud", "imdsv2-required", lambda g: g, {"imdsv2-required": {"acceptScalingConfiguration": False}}),
    ("alicloud", "encrypted-disks", lambda g: patch(g, SC, {"systemDiskEncrypted": False}), {}),
    ("alicloud", "no-public-ip", lambda g: patch(g, SC, {"internetMaxBandwidthOut": 5.0}), {}),
    # The group's first security group rule (whatever it is) turned into an inbound rule from anywhere.
    ("alicloud", "no-open-ingress",
     lambda g: patch(g, ALI_RULE, {"type": "ingress", "cidrIp": "0.0.0.0/0"}, name=_first(g, ALI_RULE).name), {}),
    ("alicloud", "no-secrets-in-user-data", lambda g: patch(g, SC, {"userData": LEAK}), {}),
]  # fmt: skip


@pytest.mark.parametrize(("cloud", "policy", "breaker", "config"), WEAKENED, ids=[f"{c}-{p}" for c, p, *_ in WEAKENED])
def test_a_weakened_component_graph_fails(cloud: str, policy: str, breaker: Breaker, config: dict[str, Any]) -> None:
    # The unweakened graph passes every policy (test_component_graphs_pass_every_policy).
    found = check(breaker(capture(cloud)), policy, config)
    assert len(found) == 1, found


def test_rdma_on_real_graphs() -> None:
    # AWS EFA and Azure InfiniBand groups come with their placement: the clean tests above pass.
    # gpufleet's Alibaba eRDMA groups launch from a scaling configuration, which cannot name a
    # LowLatency deployment set in pulumi-alicloud 4.0 (docs/alicloud.md): the policy says so.
    erdma = {
        "name": "gn8is",
        "zones": ["cn-beijing-l"],
        "market": {"type": "on-demand"},
        "rdma": True,
        "gpu": {"model": "L20-48GB", "count": 8, "instanceTypes": ["ecs.gn8is-8x.32xlarge"]},
    }
    found = check(capture("alicloud", **erdma), "rdma-consistency")
    assert found and "LowLatency" in found[0].message
    assert CLEAN_CONFIG  # the graph is otherwise evaluated under the clean config
