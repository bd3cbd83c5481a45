"""The Auto Scaling group: subnets, capacity, purchase options, refresh and the drain hook.

Safe updates (docs/aws.md): ``desired_capacity`` only seeds the group, and the
component ignores later changes to it, so ``pulumi up`` never resets what the autoscaler
or a schedule set. A new launch template version rolls out by instance refresh.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from gpufleet.aws.market import spot_max_price, uses_mixed_instances
from gpufleet.aws.names import asg_name, lifecycle_hook_name
from gpufleet.context import GroupContext

IGNORE_CHANGES = ["desiredCapacity"]
"""Properties ``pulumi up`` must not reset (wire name of ``desired_capacity``)."""

# Time from launch to a node the health checks should judge: boot, cloud-init, driver
# check or install (a DKMS build when the image has no driver takes several minutes),
# container toolkit and DCGM, then the GPU health check. 15 minutes covers a
# driver install with margin; AWS notes a too-long grace period only delays replacing
# truly broken nodes [DOC: EC2 Auto Scaling UG "Set the health check grace period";
# research notes 4d]. The node itself reports failures early with SetInstanceHealth.
HEALTH_CHECK_GRACE_SECONDS = 900

# Instance refresh: keep 90% of the desired capacity healthy, never over-provision (max
# 100%). The percentage is rounded up to whole instances [DOC: AWS SDK RefreshPreferences
# .MinHealthyPercentage "rounded up to the nearest integer"; "100 percent limits the rate
# of replacement to one instance at a time"], so groups of up to 10 nodes are refreshed
# one node at a time and larger ones about 10% at a time. A 1-node group is briefly
# empty while its node is replaced: allowing 200% (launch before terminate) would need a
# spare GPU node's capacity and price, which for p5-class nodes is often not there.
REFRESH_MIN_HEALTHY_PERCENT = 90
REFRESH_MAX_HEALTHY_PERCENT = 100
# A replaced node counts as done once healthy and warmed up; same budget as the grace.
REFRESH_WARMUP_SECONDS = HEALTH_CHECK_GRACE_SECONDS

# Termination hook: a node about to go (scale-in, refresh, rebalance) waits up to 15
# minutes for its drain/checkpoint script, which can extend the wait with
# RecordLifecycleActionHeartbeat. Range 30-7200 s [DOC: PutLifecycleHook.HeartbeatTimeout,
# research notes 4b]. CONTINUE: on timeout the termination proceeds (a terminating
# instance is terminated either way; the result only matters to other hooks).
LIFECYCLE_HEARTBEAT_SECONDS = 900
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"


def tags(ctx: GroupContext) -> list[aws.autoscaling.GroupTagArgs]:
    """Group tags, propagated to the instances it launches."""
    merged = {**ctx.tags, "Name": ctx.name}
    return [aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True) for k, v in sorted(merged.items())]


def lifecycle_hook(ctx: GroupContext) -> aws.autoscaling.GroupInitialLifecycleHookArgs:
    # An *initial* hook is created with the group, so even the first instances have it.
    return aws.autoscaling.GroupInitialLifecycleHookArgs(
        name=lifecycle_hook_name(ctx),
        lifecycle_transition=TERMINATING,
        heartbeat_timeout=LIFECYCLE_HEARTBEAT_SECONDS,
        default_result="CONTINUE",
    )


def instance_refresh() -> aws.autoscaling.GroupInstanceRefreshArgs:
    # A refresh starts when launch_template or mixed_instances_policy changes, which
    # includes a new launch template version number [SDK: GroupInstanceRefreshArgs].
    # skip_matching: nodes already on the new version (e.g. scaled out after the change)
    # are not replaced again.
    return aws.autoscaling.GroupInstanceRefreshArgs(
        strategy="Rolling",
        preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
            min_healthy_percentage=REFRESH_MIN_HEALTHY_PERCENT,
            max_healthy_percentage=REFRESH_MAX_HEALTHY_PERCENT,
            instance_warmup=str(REFRESH_WARMUP_SECONDS),
            skip_matching=True,
        ),
    )


def instances_distribution(ctx: GroupContext) -> aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs:
    """On-demand base, on-demand share above it, spot strategy and cap.

    On-demand groups with several types buy 100% on-demand. ``prioritized`` buys
    on-demand in override order, which is cheapest-first from the resolver.
    """
    market = ctx.group.market
    if not market.is_spot:
        return aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs(
            on_demand_base_capacity=0,
            on_demand_percentage_above_base_capacity=100,
            on_demand_allocation_strategy="prioritized",
        )
    # The spec's allocation strategy names are the AWS values ("price-capacity-optimized",
    # "capacity-optimized", "lowest-price") [SDK: spot_allocation_strategy docstring].
    return aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs(
        on_demand_base_capacity=market.on_demand_base,
        on_demand_percentage_above_base_capacity=market.percent_above_base,
        on_demand_allocation_strategy="prioritized",
        spot_allocation_strategy=market.allocation_strategy,
        spot_max_price=spot_max_price(ctx.resolved),
    )


def mixed_instances_policy(
    ctx: GroupContext, launch_template_id: pulumi.Input[str], launch_template_version: pulumi.Input[str]
) -> aws.autoscaling.GroupMixedInstancesPolicyArgs:
    """Overrides are the resolved types: pinned by the spec, or every equivalent type
    from the catalog when the spec names only a GPU (diversified spot pools)."""
    return aws.autoscaling.GroupMixedInstancesPolicyArgs(
        launch_template=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs(
            launch_template_specification=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs(
                launch_template_id=launch_template_id,
                version=launch_template_version,
            ),
            overrides=[
                aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(instance_type=name)
                for name in ctx.resolved.instance_types
            ],
        ),
        instances_distribution=instances_distribution(ctx),
    )


def group_args(
    ctx: GroupContext,
    *,
    launch_template_id: pulumi.Input[str],
    launch_template_version: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    placement_group: pulumi.Input[str] | None,
) -> aws.autoscaling.GroupArgs:
    """The group. ``launch_template_version`` must be an explicit number (the template's
    ``latest_version``), never ``$Latest``: only a changed version starts a refresh."""
    capacity = ctx.group.capacity
    mixed = uses_mixed_instances(ctx.resolved)
    return aws.autoscaling.GroupArgs(
        name=asg_name(ctx),
        min_size=capacity.min,
        max_size=capacity.max,
        desired_capacity=capacity.initial,
        vpc_zone_identifiers=list(subnet_ids),
        placement_group=placement_group,
        launch_template=None
        if mixed
        else aws.autoscaling.GroupLaunchTemplateArgs(id=launch_template_id, version=launch_template_version),
        mixed_instances_policy=mixed_instances_policy(ctx, launch_template_id, launch_template_version)
        if mixed
        else None,
        # Replace spot nodes that get a rebalance recommendation before they are
        # interrupted [DOC: EC2 Auto Scaling UG "Capacity Rebalancing"].
        capacity_rebalance=ctx.group.market.is_spot,
        health_check_type="EC2",
        health_check_grace_period=HEALTH_CHECK_GRACE_SECONDS,
        # Don't block `pulumi up` until GPU capacity (often scarce, or 0 by design) is
        # InService [SDK: wait_for_capacity_timeout, "0" skips the wait].
        wait_for_capacity_timeout="0",
        initial_lifecycle_hooks=[lifecycle_hook(ctx)],
        instance_refresh=instance_refresh(),
        tags=tags(ctx),
    )
