"""The contract every per-cloud group component keeps: ``Component(name, GroupArgs, opts)``
and a common set of outputs.

``AwsGpuGroup``, ``AzureGpuGroup`` and ``AlicloudGpuGroup`` take the same arguments and
register the keys of :data:`COMMON_OUTPUTS` (plus their own), so code that reads a group's
outputs does not need to know its cloud.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from gpufleet.bootstrap import CloudNode, NodeContext
from gpufleet.bootstrap.images import BaseImage
from gpufleet.context import GroupContext


@dataclass(frozen=True)
class GroupArgs:
    """Arguments of a per-cloud group component."""

    context: GroupContext
    """The validated, resolved group and the fleet it belongs to."""
    provider: pulumi.ProviderResource
    """The group's explicit regional provider; every child uses it, never the ambient default."""
    baked_image_id: pulumi.Input[str] | None = None
    """The image id of a baked image (``bootstrap.image.name``) in the group's region: an output
    of the fleet's ``GpuImage`` (AWS: the AMI id; Azure: the gallery image definition id; Alibaba:
    the newest available image of the recorded stack, looked up by name)."""


COMMON_OUTPUTS: dict[str, str] = {
    "cloud": "aws, azure or alicloud",
    "region": "the group's region (AWS/Alibaba region id, Azure location)",
    "instanceTypes": "the instance types the group may launch, primary first",
    "groupId": "id of the capacity group: ASG name (its id), autoscaled scale set id, ESS scaling group id",
    "groupName": "name of that capacity group",
    "networkId": "VPC id (AWS, Alibaba) or virtual network id (Azure)",
    "subnetIds": "subnets (AWS, Azure) or vSwitches (Alibaba) the nodes sit in",
    "securityGroupId": "security group (AWS, Alibaba) or network security group (Azure)",
}
"""Keys every group component registers, with what each holds."""


def common_outputs(
    ctx: GroupContext,
    *,
    group_id: pulumi.Input[str],
    group_name: pulumi.Input[str],
    network_id: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    security_group_id: pulumi.Input[str],
) -> dict[str, Any]:
    """The :data:`COMMON_OUTPUTS` of one group."""
    return {
        "cloud": ctx.group.cloud,
        "region": ctx.group.region,
        "instanceTypes": list(ctx.resolved.instance_types),
        "groupId": group_id,
        "groupName": group_name,
        "networkId": network_id,
        "subnetIds": list(subnet_ids),
        "securityGroupId": security_group_id,
    }


def group_node(
    ctx: GroupContext, cloud_node: CloudNode, *, image: BaseImage, image_has_driver: bool, all_types: bool
) -> NodeContext:
    """The node facts every cloud derives the same way from its group and image; a cloud adds
    only its own settings (``cloud_node``) and whether a node may be any of the group's types
    (an ASG or ESS group launches any; an Azure scale set runs the primary only)."""
    g = ctx.group
    return NodeContext(
        cloud=g.cloud,
        region=g.region,
        group=ctx.name,
        instance=ctx.resolved.primary.instance,
        rdma=g.rdma,
        image_has_driver=image_has_driver,
        image_driver_branch=image.driver_branch,
        baked=image.kind == "baked",
        cloud_node=cloud_node,
        types=tuple(t.instance for t in ctx.resolved.types) if all_types else (),
    )
