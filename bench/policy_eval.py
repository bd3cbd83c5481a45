"""Policy evaluation speed: every gpufleet policy over synthetic resource graphs.

Builds mixed-cloud graphs (AWS EFA groups, Azure scale sets with autoscale, Alibaba ESS
groups, with their providers, networks, security rules and ~6 KB of base64 user data per
launch configuration), evaluates the whole pack with policies/dev.json via
gpufleet.policy.evaluate, and prints seconds and resources per second for each size,
then the time of each policy on the 10,000-resource graph. Target: 10,000 resources in
under 2 s.

Run: .venv/bin/python bench/policy_eval.py [--smoke] [--sizes 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "components"))

from gpufleet.plan.engine import CapturedResource  # noqa: E402
from gpufleet.plan.mocks import fake_id  # noqa: E402
from gpufleet.policy import POLICIES, evaluate, load_config  # noqa: E402
from gpufleet.policy.evaluate import Graph  # noqa: E402

CONFIG = ROOT / "policies" / "dev.json"
TARGET_SIZE, TARGET_SECONDS = 10_000, 2.0

USER_DATA = base64.b64encode(
    (
        "#cloud-config\npackage_update: true\nwrite_files:\n"
        + "".join(
            f"  - path: /usr/local/lib/gpufleet/part{i}.sh\n    permissions: '0755'\n    content: |\n"
            + "".join(f"      echo step {i}.{j}: configure driver, toolkit and health checks\n" for j in range(12))
            for i in range(10)
        )
        + "runcmd:\n  - [/usr/local/sbin/gpufleet-bootstrap]\n"
    ).encode()
).decode()
TAGS = {"owner": "bench", "cost-center": "cc-1", "env": "dev", "gpufleet-fleet": "bench", "gpufleet-group": "g"}


class Builder:
    def __init__(self) -> None:
        self.out: list[CapturedResource] = []

    def add(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        provider: CapturedResource | None = None,
        deps: tuple[CapturedResource, ...] = (),
        custom: bool = True,
    ) -> CapturedResource:
        ref = f"{provider.urn}::{fake_id(provider.type, provider.name)}" if provider else ""
        r = CapturedResource(
            urn=f"urn:pulumi:bench::gpufleet::{type_}::{name}",
            type=type_,
            name=name,
            custom=custom,
            parent="",
            provider=ref,
            inputs=inputs,
            dependencies=tuple(d.urn for d in deps),
            ignore_changes=(),
            protect=False,
        )
        self.out.append(r)
        return r


def aws_group(b: Builder, i: int, prov: CapturedResource) -> None:
    n = f"g{i}"
    b.add("gpufleet:aws:GpuGroup", n, {}, custom=False)
    sg = b.add("aws:ec2/securityGroup:SecurityGroup", f"{n}-sg", {"vpcId": "vpc-1", "tags": TAGS}, prov)
    b.add(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        f"{n}-efa",
        {"securityGroupId": "sg", "ipProtocol": "-1", "referencedSecurityGroupId": "sg"},
        prov,
        (sg,),
    )
    pg = b.add("aws:ec2/placementGroup:PlacementGroup", f"{n}-pg", {"strategy": "cluster", "tags": TAGS}, prov)
    nics = [
        {
            "deviceIndex": 0.0 if c == 0 else 1.0,
            "networkCardIndex": float(c),
            "interfaceType": "efa",
            "associatePublicIpAddress": "false",
        }
        for c in range(4)
    ]
    lt = b.add(
        "aws:ec2/launchTemplate:LaunchTemplate",
        f"{n}-lt",
        {
            "instanceType": "p5.48xlarge",
            "metadataOptions": {"httpTokens": "required"},
            "blockDeviceMappings": [{"deviceName": "/dev/sda1", "ebs": {"encrypted": "true"}}],
            "networkInterfaces": nics,
            "userData": USER_DATA,
            "tags": TAGS,
            "tagSpecifications": [{"resourceType": "instance", "tags": TAGS}],
        },
        prov,
        (sg,),
    )
    b.add(
        "aws:autoscaling/group:Group",
        f"{n}-asg",
        {
            "minSize": 0.0,
            "maxSize": 4.0,
            "desiredCapacity": 1.0,
            "vpcZoneIdentifiers": ["subnet-1"],
            "placementGroup": f"{n}-pg",
            "mixedInstancesPolicy": {
                "launchTemplate": {
                    "launchTemplateSpecification": {"launchTemplateId": fake_id(lt.type, lt.name)},
                    "overrides": [{"instanceType": "p5.48xlarge"}],
                },
                "instancesDistribution": {
                    "onDemandBaseCapacity": 1.0,
                    "onDemandPercentageAboveBaseCapacity": 0.0,
                    "spotMaxPrice": "44.032",
                },
            },
            "tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in TAGS.items()],
        },
        prov,
        (lt, pg),
    )


def azure_group(b: Builder, i: int, prov: CapturedResource) -> None:
    n = f"g{i}"
    b.add("gpufleet:azure:GpuGroup", n, {}, custom=False)
    rg = b.add("azure-native:resources:ResourceGroup", f"{n}-rg", {"location": "eastus", "tags": TAGS}, prov)
    b.add(
        "azure-native:network:NetworkSecurityGroup",
        f"{n}-nsg",
        {
            "location": "eastus",
            "securityRules": [
                {"name": "vnet", "direction": "Inbound", "access": "Allow", "sourceAddressPrefix": "VirtualNetwork"},
                {"name": "deny", "direction": "Inbound", "access": "Deny", "sourceAddressPrefix": "Internet"},
            ],
        },
        prov,
        (rg,),
    )
    vmss = b.add(
        "azure-native:compute:VirtualMachineScaleSet",
        f"{n}-vmss",
        {
            "location": "eastus",
            "sku": {"name": "Standard_NV36ads_A10_v5", "capacity": 1.0},
            "singlePlacementGroup": True,
            "virtualMachineProfile": {
                "priority": "Spot",
                "billingProfile": {"maxPrice": 2.24},
                "osProfile": {"customData": USER_DATA},
                "securityProfile": {"encryptionAtHost": True},
                "storageProfile": {
                    "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}}
                },
                "networkProfile": {
                    "networkInterfaceConfigurations": [{"name": "nic", "ipConfigurations": [{"name": "ip"}]}]
                },
            },
            "tags": TAGS,
        },
        prov,
        (rg,),
    )
    b.add(
        "azure-native:monitor:AutoscaleSetting",
        f"{n}-autoscale",
        {
            "location": "eastus",
            "enabled": True,
            "targetResourceUri": vmss.urn,
            "profiles": [{"name": "d", "capacity": {"minimum": "0", "maximum": "6", "default": "1"}, "rules": []}],
        },
        prov,
        (rg, vmss),
    )


def alicloud_group(b: Builder, i: int, prov: CapturedResource) -> None:
    n = f"g{i}"
    b.add("gpufleet:alicloud:GpuGroup", n, {}, custom=False)
    sg = b.add("alicloud:ecs/securityGroup:SecurityGroup", f"{n}-sg", {"vpcId": "vpc-1", "tags": TAGS}, prov)
    b.add(
        "alicloud:ecs/securityGroupRule:SecurityGroupRule",
        f"{n}-in",
        {"type": "ingress", "ipProtocol": "all", "cidrIp": "10.0.0.0/16", "securityGroupId": "sg"},
        prov,
        (sg,),
    )
    group = b.add(
        "alicloud:ess/scalingGroup:ScalingGroup",
        f"{n}-group",
        {"minSize": 0.0, "maxSize": 6.0, "desiredCapacity": 1.0, "tags": TAGS},
        prov,
    )
    b.add(
        "alicloud:ess/scalingConfiguration:ScalingConfiguration",
        f"{n}-config",
        {
            "scalingGroupId": "x",
            "instanceTypes": ["ecs.gn7i-c8g1.2xlarge"],
            "spotStrategy": "SpotWithPriceLimit",
            "spotPriceLimits": [{"instanceType": "ecs.gn7i-c8g1.2xlarge", "priceLimit": 5.719}],
            "systemDiskEncrypted": True,
            "internetMaxBandwidthOut": 0.0,
            "userData": USER_DATA,
            "tags": TAGS,
        },
        prov,
        (group, sg),
    )


CLOUDS: list[tuple[str, dict[str, str], Callable[[Builder, int, CapturedResource], None]]] = [
    ("aws", {"region": "us-east-1"}, aws_group),
    ("azure-native", {"location": "eastus"}, azure_group),
    ("alicloud", {"region": "cn-beijing"}, alicloud_group),
]


def graph(size: int) -> list[CapturedResource]:
    """At least ``size`` resources: groups of the three clouds in turn, one provider per cloud."""
    b = Builder()
    providers = [b.add(f"pulumi:providers:{pkg}", f"bench-{pkg}", inputs) for pkg, inputs, _ in CLOUDS]
    i = 0
    while len(b.out) < size:
        _, _, build = CLOUDS[i % len(CLOUDS)]
        build(b, i, providers[i % len(CLOUDS)])
        i += 1
    return b.out[:size] if len(b.out) > size else b.out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="small sizes (100, 500), one repetition")
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated resource counts")
    args = parser.parse_args()
    sizes = [100, 500] if args.smoke else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.smoke else 3
    config = load_config(CONFIG)

    print(f"machine: {os.cpu_count()} CPU(s), {cpu_model()}; Python {platform.python_version()}")
    print(f"config: {CONFIG.relative_to(ROOT)}; {len(POLICIES)} policies; best of {repeat} run(s)\n")
    print(f"{'resources':>10} {'violations':>10} {'seconds':>9} {'resources/s':>12}")
    results: dict[int, float] = {}
    for size in sizes:
        resources = graph(size)
        seconds, found = timed(lambda resources=resources: evaluate(resources, config), repeat)  # type: ignore[misc]
        results[size] = seconds
        print(f"{len(resources):>10,} {len(found):>10,} {seconds:>9.3f} {len(resources) / seconds:>12,.0f}")

    focus = TARGET_SIZE if not args.smoke else sizes[-1]
    resources = graph(focus)
    print(f"\nper policy on {focus:,} resources (each run also builds the graph, timed first):")
    build, _ = timed(lambda: Graph(resources).stack_resources(), repeat)
    print(f"  {'(graph: proxies, providers)':<26} {build:>7.3f} s")
    for policy in POLICIES:
        one = {policy.name: config[policy.name]} if policy.name in config else {}
        seconds, _ = timed(lambda p=policy, c=one: evaluate(resources, c, policies=[p]), repeat)  # type: ignore[misc]
        print(f"  {policy.name:<26} {seconds:>7.3f} s")

    if TARGET_SIZE in results:
        verdict = "met" if results[TARGET_SIZE] < TARGET_SECONDS else "MISSED"
        print(f"\ntarget: {TARGET_SIZE:,} resources in < {TARGET_SECONDS} s: {verdict} ({results[TARGET_SIZE]:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
