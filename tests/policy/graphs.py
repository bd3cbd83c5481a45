"""Hand-built resource graphs shaped like the ones ``gpufleet.plan.engine`` captures.

Each builder returns a realistic, policy-clean graph for one cloud (the wire shapes are
the camelCase inputs the SDKs send, checked against a mock capture of the same
resources). Tests break one property at a time with ``patch`` and expect exactly the
matching violation. ``CLEAN_CONFIG`` is a pack config under which every base graph
passes every policy.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from gpufleet.plan.engine import CapturedResource
from gpufleet.plan.mocks import fake_id

STACK = "dev"
PROJECT = "gpufleet"
DROP = object()
"""Use as a value in ``patch`` to delete a key."""

TAGS = {
    "owner": "ml-platform",
    "cost-center": "cc-1234",
    "env": "dev",
    "gpufleet-fleet": "demo",
    "gpufleet-group": "trainers",
}

CLEAN_CONFIG: dict[str, Any] = {
    "gpu-budget-cap": {"maxMonthlyUsd": 1_000_000},
    "gpu-quota": {"maxGpus": 256},
    "allowed-regions": {"allowedRegions": {"aws": ["us-east-1"], "azure": ["eastus"], "alicloud": ["cn-beijing"]}},
    "required-tags": {"requiredTags": ["owner", "cost-center", "gpufleet-fleet", "gpufleet-group"]},
    "spot-price-cap": {"maxPercentOfOnDemand": 80},
    # gpufleet's Alibaba groups launch from scaling configurations, which cannot require tokens.
    "imdsv2-required": {"acceptScalingConfiguration": True},
}

DLAMI_PARAMETER = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"
CLOUD_INIT = "#cloud-config\npackage_update: true\nruncmd:\n  - [nvidia-smi]\n"
USER_DATA = base64.b64encode(CLOUD_INIT.encode()).decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Graph:
    """Collects CapturedResources with engine-like URNs, parents, providers and dependencies."""

    def __init__(self) -> None:
        self.resources: list[CapturedResource] = []
        self._types: dict[str, str] = {}

    def urn(self, type_: str, name: str, parent: str = "") -> str:
        chain = ""
        if parent:
            chain = self._types[parent] + "$"
        return f"urn:pulumi:{STACK}::{PROJECT}::{chain}{type_}::{name}"

    def add(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        *,
        provider: CapturedResource | None = None,
        parent: CapturedResource | None = None,
        deps: Sequence[CapturedResource] = (),
        custom: bool = True,
    ) -> CapturedResource:
        parent_urn = parent.urn if parent else ""
        urn = self.urn(type_, name, parent_urn)
        self._types[urn] = (self._types[parent_urn] + "$" if parent_urn else "") + type_
        ref = f"{provider.urn}::{fake_id(provider.type, provider.name)}" if provider else ""
        r = CapturedResource(
            urn=urn,
            type=type_,
            name=name,
            custom=custom,
            parent=parent_urn,
            provider=ref,
            inputs=copy.deepcopy(inputs),
            dependencies=tuple(d.urn for d in deps),
            ignore_changes=(),
            protect=False,
        )
        self.resources.append(r)
        return r


def rid(r: CapturedResource) -> str:
    """The id the mocks give ``r`` (what another resource's input receives from ``r.id``)."""
    return fake_id(r.type, r.name)


def azure_id(r: CapturedResource) -> str:
    return f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mock/providers/{r.type}/{r.name}"


# Patching ----------------------------------------------------------------------------------------


def deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if v is DROP:
                out.pop(k, None)
            else:
                out[k] = deep_merge(base.get(k), v)
        return out
    return copy.deepcopy(over)


def patch(resources: list[CapturedResource], type_: str, over: dict[str, Any], name: str | None = None) -> list[Any]:
    """A copy of ``resources`` whose resources of ``type_`` (and ``name``) get ``over`` deep-merged."""
    hit = False
    out = []
    for r in resources:
        if r.type == type_ and (name is None or r.name == name):
            r = replace(r, inputs=deep_merge(r.inputs, over))
            hit = True
        out.append(r)
    assert hit, f"no {type_} {name or ''} in the graph"
    return out


def edit(
    resources: list[CapturedResource], type_: str, fn: Callable[[CapturedResource], CapturedResource]
) -> list[Any]:
    return [fn(r) if r.type == type_ else r for r in resources]


def drop(resources: list[CapturedResource], type_: str) -> list[CapturedResource]:
    gone = {r.urn for r in resources if r.type == type_}
    return [
        replace(r, dependencies=tuple(d for d in r.dependencies if d not in gone))
        for r in resources
        if r.urn not in gone
    ]


def one(resources: list[CapturedResource], type_: str) -> CapturedResource:
    found = [r for r in resources if r.type == type_]
    assert len(found) == 1, f"{len(found)} x {type_}"
    return found[0]


# AWS ---------------------------------------------------------------------------------------------

ASG = "aws:autoscaling/group:Group"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
PG = "aws:ec2/placementGroup:PlacementGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def aws_graph(region: str = "us-east-1") -> list[CapturedResource]:
    """An EFA training group: p5.48xlarge, 1 on-demand + spot at 80% of on-demand, cluster PG."""
    g = Graph()
    fleet = g.add("gpufleet:index:GpuFleet", "demo", {}, custom=False)
    prov = g.add("pulumi:providers:aws", f"demo-aws-{region}", {"region": region}, parent=fleet)
    comp = g.add("gpufleet:aws:GpuGroup", "demo-trainers", {}, parent=fleet, custom=False)
    sg = g.add(SG, "demo-trainers-nodes", {"vpcId": "vpc-0abc", "tags": TAGS}, provider=prov, parent=comp)
    g.add(
        INGRESS,
        "demo-trainers-efa-in",
        {"securityGroupId": rid(sg), "ipProtocol": "-1", "referencedSecurityGroupId": rid(sg)},
        provider=prov,
        parent=comp,
        deps=[sg],
    )
    g.add(
        EGRESS,
        "demo-trainers-egress",
        {"securityGroupId": rid(sg), "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"},
        provider=prov,
        parent=comp,
        deps=[sg],
    )
    pg = g.add(PG, "demo-trainers-pg", {"strategy": "cluster", "tags": TAGS}, provider=prov, parent=comp)
    efa = [
        {
            "deviceIndex": 0.0 if card == 0 else 1.0,
            "networkCardIndex": float(card),
            "interfaceType": "efa",
            "associatePublicIpAddress": "false",
            "deleteOnTermination": "true",
            "securityGroups": [rid(sg)],
        }
        for card in range(4)
    ]
    lt = g.add(
        LT,
        "demo-trainers-lt",
        {
            "imageId": f"resolve:ssm:{DLAMI_PARAMETER}",
            "instanceType": "p5.48xlarge",
            "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 2.0},
            "blockDeviceMappings": [
                {"deviceName": "/dev/sda1", "ebs": {"encrypted": "true", "volumeSize": 500.0, "volumeType": "gp3"}}
            ],
            "networkInterfaces": efa,
            "userData": USER_DATA,
            "tagSpecifications": [
                {"resourceType": "instance", "tags": TAGS},
                {"resourceType": "volume", "tags": TAGS},
            ],
            "tags": TAGS,
        },
        provider=prov,
        parent=comp,
        deps=[sg],
    )
    g.add(
        ASG,
        "demo-trainers-asg",
        {
            "minSize": 0.0,
            "maxSize": 4.0,
            "desiredCapacity": 2.0,
            "vpcZoneIdentifiers": ["subnet-0abc"],
            "placementGroup": "demo-trainers-pg-1a2b3c",
            "capacityRebalance": True,
            "mixedInstancesPolicy": {
                "launchTemplate": {
                    "launchTemplateSpecification": {"launchTemplateId": rid(lt), "version": "$Latest"},
                    "overrides": [{"instanceType": "p5.48xlarge"}],
                },
                "instancesDistribution": {
                    "onDemandBaseCapacity": 1.0,
                    "onDemandPercentageAboveBaseCapacity": 0.0,
                    "spotAllocationStrategy": "price-capacity-optimized",
                    "spotMaxPrice": "44.032",  # 80% of the catalog's 55.04 USD/h in us-east-1
                },
            },
            "tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in TAGS.items()],
        },
        provider=prov,
        parent=comp,
        deps=[lt, pg],
    )
    return g.resources


# Azure -------------------------------------------------------------------------------------------

VMSS = "azure-native:compute:VirtualMachineScaleSet"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
NSG = "azure-native:network:NetworkSecurityGroup"
RULE = "azure-native:network:SecurityRule"


def azure_graph(location: str = "eastus", spot: bool = False) -> list[CapturedResource]:
    """An ND H100 v5 InfiniBand group (or, with ``spot``, an A10 spot group capped at 60%)."""
    g = Graph()
    fleet = g.add("gpufleet:index:GpuFleet", "demo", {}, custom=False)
    prov = g.add("pulumi:providers:azure-native", f"demo-azure-{location}", {"location": location}, parent=fleet)
    comp = g.add("gpufleet:azure:GpuGroup", "demo-trainers", {}, parent=fleet, custom=False)
    rg = g.add(
        "azure-native:resources:ResourceGroup",
        "demo-trainers-rg",
        {"location": location, "tags": TAGS},
        provider=prov,
        parent=comp,
    )
    rules = [
        {
            "name": "AllowVnetInbound",
            "priority": 100.0,
            "direction": "Inbound",
            "access": "Allow",
            "protocol": "*",
            "sourceAddressPrefix": "VirtualNetwork",
            "sourcePortRange": "*",
            "destinationAddressPrefix": "VirtualNetwork",
            "destinationPortRange": "*",
        },
        {
            "name": "DenyInternetInbound",
            "priority": 4000.0,
            "direction": "Inbound",
            "access": "Deny",
            "protocol": "*",
            "sourceAddressPrefix": "Internet",
            "sourcePortRange": "*",
            "destinationAddressPrefix": "*",
            "destinationPortRange": "*",
        },
    ]
    g.add(
        NSG,
        "demo-trainers-nsg",
        {"resourceGroupName": "demo-trainers-rg", "location": location, "tags": TAGS, "securityRules": rules},
        provider=prov,
        parent=comp,
        deps=[rg],
    )
    sku = "Standard_NV36ads_A10_v5" if spot else "Standard_ND96isr_H100_v5"
    profile: dict[str, Any] = {
        "priority": "Regular",
        "osProfile": {
            "computerNamePrefix": "demo-tr",
            "adminUsername": "gpufleet",
            "customData": USER_DATA,
            "linuxConfiguration": {"disablePasswordAuthentication": True},
        },
        "storageProfile": {
            "imageReference": {
                "publisher": "microsoft-dsvm",
                "offer": "ubuntu-hpc",
                "sku": "2204",
                "version": "latest",
            },
            "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}},
        },
        "securityProfile": {"encryptionAtHost": True},
        "networkProfile": {
            "networkInterfaceConfigurations": [
                {
                    "name": "nic",
                    "primary": True,
                    "enableAcceleratedNetworking": True,
                    "ipConfigurations": [
                        {"name": "ip", "primary": True, "subnet": {"id": "/subscriptions/x/subnets/nodes"}}
                    ],
                }
            ]
        },
    }
    if spot:
        profile["priority"] = "Spot"
        profile["evictionPolicy"] = "Delete"
        profile["billingProfile"] = {"maxPrice": 1.92}  # 60% of the catalog's 3.20 USD/h in eastus
    vmss = g.add(
        VMSS,
        "demo-trainers-vmss",
        {
            "resourceGroupName": "demo-trainers-rg",
            "location": location,
            "sku": {"name": sku, "tier": "Standard", "capacity": 2.0},
            "orchestrationMode": "Uniform",
            "singlePlacementGroup": True,
            "overprovision": False,
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": profile,
            "tags": TAGS,
        },
        provider=prov,
        parent=comp,
        deps=[rg],
    )
    g.add(
        AUTOSCALE,
        "demo-trainers-autoscale",
        {
            "resourceGroupName": "demo-trainers-rg",
            "location": location,
            "enabled": True,
            "targetResourceUri": azure_id(vmss),
            "profiles": [
                {"name": "default", "capacity": {"minimum": "0", "maximum": "4", "default": "2"}, "rules": []},
                {"name": "nights", "capacity": {"minimum": "0", "maximum": "2", "default": "0"}, "rules": []},
            ],
            "tags": TAGS,
        },
        provider=prov,
        parent=comp,
        deps=[rg, vmss],
    )
    return g.resources


# Alibaba -----------------------------------------------------------------------------------------

ESS = "alicloud:ess/scalingGroup:ScalingGroup"
SC = "alicloud:ess/scalingConfiguration:ScalingConfiguration"
ALI_LT = "alicloud:ecs/ecsLaunchTemplate:EcsLaunchTemplate"
DS = "alicloud:ecs/ecsDeploymentSet:EcsDeploymentSet"
ALI_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"


def alicloud_graph(region: str = "cn-beijing", *, launch_template: bool = False) -> list[CapturedResource]:
    """A gn7i A10 spot group capped at 60% (CNY), launched from a scaling configuration,
    or with ``launch_template`` from an EcsLaunchTemplate (IMDS hardened mode possible)."""
    g = Graph()
    fleet = g.add("gpufleet:index:GpuFleet", "demo", {}, custom=False)
    prov = g.add("pulumi:providers:alicloud", f"demo-alicloud-{region}", {"region": region}, parent=fleet)
    comp = g.add("gpufleet:alicloud:GpuGroup", "demo-servers", {}, parent=fleet, custom=False)
    sg = g.add(
        "alicloud:ecs/securityGroup:SecurityGroup",
        "demo-servers-sg",
        {"vpcId": "vpc-1", "tags": TAGS},
        provider=prov,
        parent=comp,
    )
    g.add(
        ALI_RULE,
        "demo-servers-intra",
        {
            "type": "ingress",
            "ipProtocol": "all",
            "portRange": "-1/-1",
            "cidrIp": "10.61.0.0/16",
            "securityGroupId": rid(sg),
            "policy": "accept",
        },
        provider=prov,
        parent=comp,
        deps=[sg],
    )
    g.add(
        ALI_RULE,
        "demo-servers-egress",
        {
            "type": "egress",
            "ipProtocol": "all",
            "portRange": "-1/-1",
            "cidrIp": "0.0.0.0/0",
            "securityGroupId": rid(sg),
            "policy": "accept",
        },
        provider=prov,
        parent=comp,
        deps=[sg],
    )
    small, large = "ecs.gn7i-c8g1.2xlarge", "ecs.gn7i-c16g1.4xlarge"
    group_inputs: dict[str, Any] = {
        "minSize": 0.0,
        "maxSize": 6.0,
        "desiredCapacity": 1.0,
        "vswitchIds": ["vsw-1", "vsw-2"],
        "multiAzPolicy": "COST_OPTIMIZED",
        "onDemandBaseCapacity": 0.0,
        "onDemandPercentageAboveBaseCapacity": 0.0,
        "spotInstanceRemedy": True,
        "tags": TAGS,
    }
    if not launch_template:
        group = g.add(ESS, "demo-servers-group", group_inputs, provider=prov, parent=comp)
        g.add(
            SC,
            "demo-servers-config",
            {
                "scalingGroupId": rid(group),
                "instanceTypes": [small, large],
                "imageId": "ubuntu_22_04_x64_20G_alibase_20250101.vhd",
                "securityGroupIds": [rid(sg)],
                "spotStrategy": "SpotWithPriceLimit",
                # 60% of the catalog's CNY on-demand prices in cn-beijing
                "spotPriceLimits": [
                    {"instanceType": small, "priceLimit": 5.719},
                    {"instanceType": large, "priceLimit": 6.056},
                ],
                "systemDiskCategory": "cloud_essd",
                "systemDiskEncrypted": True,
                "internetMaxBandwidthOut": 0.0,
                "httpEndpoint": "enabled",
                "userData": USER_DATA,
                "active": True,
                "enable": True,
                "tags": TAGS,
            },
            provider=prov,
            parent=comp,
            deps=[group, sg],
        )
        return g.resources
    lt = g.add(
        ALI_LT,
        "demo-servers-lt",
        {
            "instanceType": small,
            "imageId": "ubuntu_22_04_x64_20G_alibase_20250101.vhd",
            "securityGroupIds": [rid(sg)],
            "instanceChargeType": "PostPaid",
            "spotStrategy": "SpotWithPriceLimit",
            "spotPriceLimit": 5.719,
            "systemDisk": {"category": "cloud_essd", "size": 200.0, "encrypted": True},
            "internetMaxBandwidthOut": 0.0,
            "httpTokens": "required",
            "userData": USER_DATA,
            "tags": TAGS,
            "templateTags": TAGS,
        },
        provider=prov,
        parent=comp,
        deps=[sg],
    )
    g.add(
        ESS,
        "demo-servers-group",
        {
            **group_inputs,
            "launchTemplateId": rid(lt),
            "launchTemplateVersion": "Latest",
            "launchTemplateOverrides": [{"instanceType": large, "spotPriceLimit": 6.056}],
        },
        provider=prov,
        parent=comp,
        deps=[lt],
    )
    return g.resources


def erdma_graph(region: str = "cn-beijing", strategy: str = "LowLatency") -> list[CapturedResource]:
    """An eRDMA group: HighPerformance interfaces in the scaling configuration and a launch
    template carrying the deployment set (ecs.gn8is-8x.32xlarge, on-demand)."""
    g = Graph()
    fleet = g.add("gpufleet:index:GpuFleet", "demo", {}, custom=False)
    prov = g.add("pulumi:providers:alicloud", f"demo-alicloud-{region}", {"region": region}, parent=fleet)
    comp = g.add("gpufleet:alicloud:GpuGroup", "demo-gn8is", {}, parent=fleet, custom=False)
    ds = g.add(DS, "demo-gn8is-ds", {"strategy": strategy}, provider=prov, parent=comp)
    lt = g.add(
        ALI_LT,
        "demo-gn8is-lt",
        {
            "instanceType": "ecs.gn8is-8x.32xlarge",
            "deploymentSetId": rid(ds),
            "httpTokens": "required",
            "systemDisk": {"encrypted": True},
            "tags": TAGS,
            "templateTags": TAGS,
        },
        provider=prov,
        parent=comp,
        deps=[ds],
    )
    group = g.add(
        ESS,
        "demo-gn8is-group",
        {"minSize": 0.0, "maxSize": 4.0, "desiredCapacity": 2.0, "launchTemplateId": rid(lt), "tags": TAGS},
        provider=prov,
        parent=comp,
        deps=[lt],
    )
    g.add(
        SC,
        "demo-gn8is-config",
        {
            "scalingGroupId": rid(group),
            "instanceTypes": ["ecs.gn8is-8x.32xlarge"],
            "networkInterfaces": [{"instanceType": "Primary", "networkInterfaceTrafficMode": "HighPerformance"}],
            "systemDiskEncrypted": True,
            "internetMaxBandwidthOut": 0.0,
            "httpEndpoint": "disabled",
            "tags": TAGS,
        },
        provider=prov,
        parent=comp,
        deps=[group],
    )
    return g.resources


BUILDERS: dict[str, Callable[[], list[CapturedResource]]] = {
    "aws": aws_graph,
    "azure": azure_graph,
    "alicloud": alicloud_graph,
}


def check(
    resources: list[CapturedResource], policy: str | None = None, config: dict[str, Any] | None = None
) -> list[Any]:
    """Violations of ``policy`` (all policies when None) under CLEAN_CONFIG merged with ``config``."""
    from gpufleet.policy import evaluate

    found = evaluate(resources, deep_merge(CLEAN_CONFIG, config or {}))
    return [v for v in found if policy is None or v.policy == policy]


def where(violations: list[Any]) -> list[str]:
    """The resource name each violation points at ('' for the stack)."""
    return [v.urn.rsplit("::", 1)[-1] if v.urn else "" for v in violations]
