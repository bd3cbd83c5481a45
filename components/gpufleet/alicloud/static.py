"""Fixed-size eRDMA clusters (``capacity.mode: static``): the limits, checked at spec time.

A static group is N ``ecs.Instance`` nodes in one ``ecs.EcsDeploymentSet`` with strategy
``LowLatency`` (cluster.py builds them), because no ESS resource of pulumi-alicloud 4.0.0 can
combine a deployment set with eRDMA interfaces (launch.py). Limits [DOC: Alibaba ECS "Deployment
set", alibabacloud.com/help/doc-detail/91258.htm, per the alicloud-fidelity review]:

- no spot (preemptible) instances in a deployment set;
- LowLatency: all instances in one zone, at most 20 per zone;
- only some instance families support LowLatency, and only the API
  ``DescribeDeploymentSetSupportedInstanceTypeFamily(Strategy=LowLatency)`` says which. No
  published list was found, so the user supplies that API's answer
  (``groups[i].alicloud.lowLatencyFamilies``) and gpufleet refuses any family not in it.

No pulumi import: validation loads this module.
"""

from __future__ import annotations

from gpufleet.alicloud.erdma import ERI_INTERFACES, PRIMARY_ONLY
from gpufleet.catalog import InstanceType
from gpufleet.errors import Problem
from gpufleet.spec import GroupSpec

STRATEGY = "LowLatency"
"""Deployment set strategy [SDK: ecs.EcsDeploymentSet ``strategy``: Availability, AvailabilityGroup,
LowLatency]."""

MAX_PER_ZONE = 20
"""Instances a LowLatency deployment set holds in one zone [DOC: ECS "Deployment set", doc 91258]."""

MAX_ERIS = 2
"""ERIs an ``ecs.Instance`` can be created with: the primary interface plus one secondary, since
``network_interfaces`` is a single object [SDK: pulumi-alicloud 4.0.0 ecs.InstanceArgs
``network_interfaces: InstanceNetworkInterfacesArgs``; terraform-provider-alicloud
resource_alicloud_instance.go builds NetworkInterface.1 (Primary) and one Secondary entry per
block, MaxItems 1]."""


def family_of(instance_type: str) -> str:
    """The ECS family of a type name: ``ecs.gn8is-4x.16xlarge`` -> ``ecs.gn8is``.

    The family doc lists gn8is-4x.16xlarge under gn8is and ebmgn8is.32xlarge under ebmgn8is
    [DOC: Alibaba ECS "GPU-accelerated compute-optimized instance families"], the same ids
    DescribeDeploymentSetSupportedInstanceTypeFamily returns (``InstanceTypeFamilyId``)."""
    prefix, _, rest = instance_type.partition(".")
    return f"{prefix}.{rest.split('.', 1)[0].split('-', 1)[0]}"


def families_command(region: str) -> str:
    """The call whose answer ``alicloud.lowLatencyFamilies`` holds."""
    return f"aliyun ecs DescribeDeploymentSetSupportedInstanceTypeFamily --RegionId {region} --Strategy LowLatency"


def static_problems(group: GroupSpec, path: str, types: list[InstanceType]) -> list[Problem]:
    """Everything a static group must satisfy before any resource is declared."""
    if group.capacity.mode != "static":
        if group.alicloud is not None and group.alicloud.low_latency_families:
            return [
                Problem(
                    f"{path}.alicloud.lowLatencyFamilies",
                    "read only by capacity.mode: static (an ESS group cannot use a deployment set in "
                    "pulumi-alicloud 4.0.0); remove it or set capacity.mode: static",
                )
            ]
        return []
    out: list[Problem] = []
    cap = group.capacity
    if cap.min != cap.max:
        out.append(
            Problem(
                f"{path}.capacity.min",
                f"{cap.min}: a static cluster has a fixed size, so min must equal max ({cap.max}), "
                f"e.g. capacity: {{mode: static, min: {cap.max}, max: {cap.max}}}",
            )
        )
    elif cap.desired is not None and cap.desired != cap.max:
        out.append(Problem(f"{path}.capacity.desired", f"{cap.desired}: a static cluster runs min = max nodes"))
    if cap.max > MAX_PER_ZONE:
        out.append(
            Problem(
                f"{path}.capacity.max",
                f"{cap.max}: a LowLatency deployment set holds at most {MAX_PER_ZONE} instances in its one zone "
                "(Alibaba ECS 'Deployment set' doc); split the cluster into groups",
            )
        )
    if group.market.type != "on-demand":
        out.append(
            Problem(
                f"{path}.market.type",
                f"{group.market.type!r}: a deployment set takes no spot (preemptible) instances (Alibaba ECS "
                "'Deployment set' doc); use on-demand",
            )
        )
    if group.autoscaling is not None:
        out.append(
            Problem(
                f"{path}.autoscaling",
                "a static cluster has no scaling group, so no GPU alarms or schedules; remove autoscaling "
                "or use capacity.mode: elastic",
            )
        )
    if not group.rdma and (len(group.zones) > 1 or len(group.network.subnet_ids or ()) > 1):
        # eRDMA groups are held to one zone by rules._rdma_problems already.
        out.append(
            Problem(
                f"{path}.zones", f"a LowLatency deployment set puts all instances in one zone, got {list(group.zones)}"
            )
        )
    if len(types) > 1:
        out.append(
            Problem(
                f"{path}.gpu.instanceTypes",
                f"{[t.name for t in types]}: a static cluster runs one instance type (each ecs.Instance has one, "
                "and no scaling group falls back to another); list exactly one",
            )
        )
    if group.rdma:
        wide = sorted(t.name for t in types if ERI_INTERFACES.get(t.name, PRIMARY_ONLY) > MAX_ERIS)
        if wide:
            out.append(
                Problem(
                    f"{path}.gpu.instanceTypes",
                    f"{', '.join(wide)} take more than {MAX_ERIS} eRDMA interfaces, and an ecs.Instance is created "
                    f"with at most {MAX_ERIS} (primary + one secondary); use a type with 1 or 2 ERIs",
                )
            )
    out += _family_problems(group, path, types)
    return out


def _family_problems(group: GroupSpec, path: str, types: list[InstanceType]) -> list[Problem]:
    listed = group.alicloud.low_latency_families if group.alicloud is not None else ()
    command = families_command(group.region)
    if not listed:
        return [
            Problem(
                f"{path}.alicloud.lowLatencyFamilies",
                "missing: only some instance families can join a LowLatency deployment set, and only the API says "
                f"which (no published list). Run `{command}` and list the families it returns, e.g. "
                f"alicloud: {{lowLatencyFamilies: [{family_of(types[0].name) if types else 'ecs.gn8is'}]}} "
                "if it is among them",
            )
        ]
    missing = sorted({family_of(t.name) for t in types} - set(listed))
    if not missing:
        return []
    return [
        Problem(
            f"{path}.gpu.instanceTypes",
            f"family {', '.join(missing)} is not in alicloud.lowLatencyFamilies {list(listed)}: a LowLatency "
            f"deployment set accepts only the families `{command}` returns; add it only if that call lists it",
        )
    ]


def static_notes(group: GroupSpec, path: str, types: list[InstanceType]) -> list[Problem]:
    """What ``validate`` and ``plan`` say about a valid static group: its LowLatency family support
    is the user's API answer, which gpufleet cannot check offline."""
    if group.cloud != "alicloud" or group.capacity.mode != "static" or group.alicloud is None:
        return []
    families = sorted({family_of(t.name) for t in types} & set(group.alicloud.low_latency_families))
    if not families:
        return []
    return [
        Problem(
            f"{path}.alicloud.lowLatencyFamilies",
            f"LowLatency support of {', '.join(families)} is taken from your answer to "
            f"`{families_command(group.region)}`, not checked offline; RunInstances fails if it is wrong",
        )
    ]
