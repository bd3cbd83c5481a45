"""A static (fixed-size) cluster: one LowLatency deployment set and N ``ecs.Instance`` nodes.

Used for ``capacity.mode: static`` (static.py checks the limits at spec time). ``ecs.Instance``
is the one pulumi-alicloud 4.0.0 resource that takes both a deployment set and eRDMA interfaces
(``deployment_set_id``, ``network_interface_traffic_mode``, ``network_card_index`` and one
secondary interface in ``network_interfaces``) [SDK: ecs.InstanceArgs]; ESS resources cannot
(launch.py). ``ecs.EcsInstanceSet`` (N instances from one resource, ``deployment_set_id``) would
be shorter but has no traffic mode at all: neither on the set nor on its interfaces
(``EcsInstanceSetNetworkInterfaceArgs``: security group, description, name, primary IP, vSwitch)
[SDK: pulumi-alicloud 4.0.0 ecs/ecs_instance_set.py, ecs/_inputs.py]. One resource per node also
lets the operator replace exactly one node. Pure builders: the component only wires them.
"""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_alicloud as alicloud

from gpufleet.alicloud import launch, static
from gpufleet.alicloud.endpoints import ecs_endpoint
from gpufleet.alicloud.image import AlicloudImage
from gpufleet.alicloud.launch import (
    HIGH_PERFORMANCE,
    SYSTEM_DISK_CATEGORY,
    SYSTEM_DISK_GIB,
    SYSTEM_DISK_PERFORMANCE_LEVEL,
)
from gpufleet.alicloud.names import scaling_group_name
from gpufleet.alicloud.scaling import deletion_protected
from gpufleet.bootstrap import AlicloudNode, NodeContext, encode_user_data, render_cloud_config
from gpufleet.context import GroupContext

SECONDARY_CARD = 1
"""Network card of the secondary ERI on two-card types. Alibaba assigns ENIs to network cards to
use the bandwidth of each [DOC: Alibaba ECS "Network card index overview",
help.aliyun.com/en/ecs/user-guide/network-card-mapping: NetworkCardIndex, NetworkCardQuantity in
DescribeInstanceTypes]; the primary interface is on card 0, so the second ERI goes on card 1.
That the two-ERI types of the PAI table (erdma.py) have exactly two cards is UNVERIFIED here
(NetworkCardQuantity needs a live call). The provider sends the index only when
DescribeInstanceTypes lists NetworkCards for the type (resource_alicloud_instance.go,
isSupportedNetworkCardIndex)."""


def deployment_set_name(ctx: GroupContext) -> str:
    """2-128 characters, starting with a letter [SDK: ecs.EcsDeploymentSet deployment_set_name]."""
    return scaling_group_name(ctx.name)


def node_count(ctx: GroupContext) -> int:
    """A static group runs exactly ``capacity.max`` nodes (static.py refuses min != max)."""
    return ctx.group.capacity.max


def deployment_set_args(ctx: GroupContext) -> alicloud.ecs.EcsDeploymentSetArgs:
    return alicloud.ecs.EcsDeploymentSetArgs(
        deployment_set_name=deployment_set_name(ctx),
        strategy=static.STRATEGY,
        description=f"gpufleet static cluster {ctx.name}: LowLatency, one zone",
    )


def node_context(ctx: GroupContext, image: AlicloudImage) -> NodeContext:
    """The ESS node context (launch.py), except that the health check marks its own instance with
    a tag (no scaling group to report to) through the region's ECS endpoint."""
    base = launch.node_context(ctx, image)
    assert isinstance(base.cloud_node, AlicloudNode)
    node = dataclasses.replace(
        base.cloud_node,
        scaling_group_name="",
        static_cluster=deployment_set_name(ctx),
        ecs_endpoint=ecs_endpoint(ctx.group.region),
    )
    return dataclasses.replace(base, cloud_node=node)


def user_data(ctx: GroupContext, image: AlicloudImage) -> str:
    """Base64 cloud-init (raises UserDataTooLarge over the limit)."""
    return encode_user_data(render_cloud_config(ctx.group.bootstrap, node_context(ctx, image)), "alicloud")


def instance_name(ctx: GroupContext, index: int) -> str:
    return f"{ctx.name}-{index}"


def instance_args(
    ctx: GroupContext,
    index: int,
    *,
    vswitch_id: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    deployment_set_id: pulumi.Input[str],
    role_name: pulumi.Input[str],
    image: AlicloudImage,
    user_data: str,
) -> alicloud.ecs.InstanceArgs:
    """Node ``index`` of the cluster: on-demand, in the deployment set, eRDMA on the primary
    interface (and a secondary ERI on card 1 for two-ERI types), locked down like an ESS node."""
    group = ctx.group
    eris = launch.interfaces_per_node(ctx) if group.rdma else 0
    secondary = (
        alicloud.ecs.InstanceNetworkInterfacesArgs(
            vswitch_id=vswitch_id,
            security_group_ids=[security_group_id],
            network_interface_traffic_mode=HIGH_PERFORMANCE,
            network_card_index=SECONDARY_CARD,
        )
        if eris > 1
        else None
    )
    return alicloud.ecs.InstanceArgs(
        instance_type=ctx.resolved.primary.instance.name,
        instance_name=instance_name(ctx, index),
        image_id=image.image_id,
        vswitch_id=vswitch_id,
        security_groups=[security_group_id],
        deployment_set_id=deployment_set_id,
        # A deployment set takes no spot instances (static.py): pay-as-you-go, never spot.
        instance_charge_type="PostPaid",
        spot_strategy="NoSpot",
        network_interface_traffic_mode=HIGH_PERFORMANCE if group.rdma else None,
        network_card_index=0 if secondary is not None else None,
        network_interfaces=secondary,
        # role_name is deprecated in favour of ecs.RamRoleAttachment from provider 1.275.0 but still
        # sent as RamRoleName on RunInstances (resource_alicloud_instance.go), so the node has its
        # credentials from the first boot.
        role_name=role_name,
        internet_max_bandwidth_out=0,  # no public address; egress through the NAT gateway
        system_disk_category=SYSTEM_DISK_CATEGORY,
        system_disk_performance_level=SYSTEM_DISK_PERFORMANCE_LEVEL,
        system_disk_size=SYSTEM_DISK_GIB,  # within 20-500 [SDK: ecs.Instance system_disk_size]
        system_disk_encrypted=True,
        http_endpoint="enabled",
        # Hardened metadata: ecs.Instance has it, unlike ESS configurations; the node script asks
        # for a token first [SDK: ecs.Instance http_tokens: optional | required].
        http_tokens="required",
        deletion_protection=deletion_protected(ctx),
        user_data=user_data,
        tags=dict(ctx.tags),
    )
