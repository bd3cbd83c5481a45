"""The scaling configuration: what every node of a group is launched with.

Why a ScalingConfiguration and not an ECS launch template, also for eRDMA groups:
pulumi-alicloud 4.0.0 can put an interface in ``HighPerformance`` (ERI) mode only on a
scaling configuration (``ScalingConfigurationNetworkInterfaceArgs.network_interface_traffic_mode``);
``ecs.EcsLaunchTemplate`` has a deployment set but no traffic mode on its interfaces
(``EcsLaunchTemplateNetworkInterfacesArgs``: name, vswitch, security group, description,
primary IP, delete-on-release only) [SDK]. The upstream field is still an open pull
request (aliyun/terraform-provider-alicloud#10589, "support ... network interface
instance_type/traffic_mode"), and the scaling configuration resource has no
``deployment_set_id`` although the ESS API has one [DOC: ESS 2022-02-22
CreateScalingConfiguration DeploymentSetId]. So a group gets working eRDMA now, without
a LowLatency deployment set; docs/alicloud.md explains, and a canary test fails when the
SDK gains the field.
"""

from __future__ import annotations

import pulumi
import pulumi_alicloud as alicloud

from gpufleet.alicloud.endpoints import ess_endpoint
from gpufleet.alicloud.erdma import NCCL_ENV, eri_count
from gpufleet.alicloud.image import AlicloudImage
from gpufleet.alicloud.names import scaling_group_name
from gpufleet.alicloud.spot import SpotPlan
from gpufleet.bootstrap import AlicloudNode, NodeContext, encode_user_data, render_cloud_config
from gpufleet.context import GroupContext
from gpufleet.group import group_node

SYSTEM_DISK_CATEGORY = "cloud_essd"
SYSTEM_DISK_PERFORMANCE_LEVEL = "PL1"
SYSTEM_DISK_GIB = 200
"""Room for the driver, the CUDA toolkit and container images. Not a cloud limit, and inside
both ranges on record: PL1 ESSD 20-2048 GiB [SDK: pulumi-alicloud 4.0.0 ess.ScalingConfiguration
system_disk_size] and 20-500 GiB, which the alicloud-fidelity review reads in the provider's
validation (UNVERIFIED here); stay at or below 500 until that is settled."""

HIGH_PERFORMANCE = "HighPerformance"
"""Traffic mode that turns an interface into an ERI [SDK: ScalingConfigurationNetworkInterfaceArgs
network_interface_traffic_mode: Standard | HighPerformance; DOC: "ERIs"]."""


def traffic_mode(ctx: GroupContext) -> str:
    return HIGH_PERFORMANCE if ctx.group.rdma else "Standard"


def interfaces_per_node(ctx: GroupContext) -> int:
    """ERIs per node for an eRDMA group (primary + secondaries), else 1."""
    return eri_count(t.instance for t in ctx.resolved.types) if ctx.group.rdma else 1


def node_context(ctx: GroupContext, image: AlicloudImage) -> NodeContext:
    """What bootstrap needs: the scaling group the health check reports to, and for eRDMA
    groups the interface count and the NCCL settings that reach the node's ``node.env``.

    The node finds its own instance id and region in instance metadata; the scaling group
    and RAM role names are fixed strings (names.py), so no output of this program has to
    flow into user data.
    """
    rdma = ctx.group.rdma
    return group_node(
        ctx,
        AlicloudNode(
            scaling_group_name=scaling_group_name(ctx.name),
            erdma_interfaces=interfaces_per_node(ctx) if rdma else 0,
            nccl_settings=dict(NCCL_ENV) if rdma else {},
            ess_endpoint=ess_endpoint(ctx.group.region),
        ),
        image=image.base,
        image_has_driver=image.driver_included,
        # Every type ESS may launch: a node started as a secondary type must find its own
        # GPU count, fabric manager and RDMA devices in /etc/gpufleet/types.
        all_types=True,
    )


def user_data(ctx: GroupContext, image: AlicloudImage) -> str:
    """Base64 cloud-init from the shared renderer (raises UserDataTooLarge over the limit)."""
    return encode_user_data(render_cloud_config(ctx.group.bootstrap, node_context(ctx, image)), "alicloud")


def network_interfaces(
    ctx: GroupContext, security_group_id: pulumi.Input[str]
) -> list[alicloud.ess.ScalingConfigurationNetworkInterfaceArgs]:
    """The primary interface in HighPerformance mode, plus one secondary ERI for each
    further interface the types support (erdma.py). Only for eRDMA groups."""
    count = interfaces_per_node(ctx)
    return [
        alicloud.ess.ScalingConfigurationNetworkInterfaceArgs(
            instance_type="Primary" if i == 0 else "Secondary",
            network_interface_traffic_mode=HIGH_PERFORMANCE,
            security_group_ids=[security_group_id],
        )
        for i in range(count)
    ]


def scaling_configuration_args(
    ctx: GroupContext,
    *,
    scaling_group_id: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    role_name: pulumi.Input[str],
    image: AlicloudImage,
    spot: SpotPlan,
) -> alicloud.ess.ScalingConfigurationArgs:
    group = ctx.group
    # With network_interfaces set, security groups go on the interfaces, not the
    # configuration [SDK: ess.ScalingConfiguration network_interfaces docstring].
    eri = network_interfaces(ctx, security_group_id) if group.rdma else None
    return alicloud.ess.ScalingConfigurationArgs(
        scaling_group_id=scaling_group_id,
        scaling_configuration_name=f"{ctx.name}-config",
        instance_types=ctx.resolved.instance_types,
        image_id=image.image_id,
        user_data=user_data(ctx, image),
        role_name=role_name,
        security_group_ids=None if eri else [security_group_id],
        network_interfaces=eri,
        internet_max_bandwidth_out=0,  # no public address; egress goes through the NAT gateway
        system_disk_category=SYSTEM_DISK_CATEGORY,
        system_disk_performance_level=SYSTEM_DISK_PERFORMANCE_LEVEL,
        system_disk_size=SYSTEM_DISK_GIB,
        system_disk_encrypted=True,
        http_endpoint="enabled",  # metadata: instance id, region, RAM role credentials
        spot_strategy=spot.strategy,
        spot_price_limits=[
            alicloud.ess.ScalingConfigurationSpotPriceLimitArgs(instance_type=name, price_limit=limit)
            for name, limit in spot.limits
        ]
        or None,
        instance_name=ctx.name,
        tags=dict(ctx.tags),
        active=True,
        enable=True,
        force_delete=True,  # the group's last configuration goes with the group
    )
