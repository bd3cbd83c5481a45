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

# Instance refresh. The Auto Scaling API reference (RefreshPreferences.MaxHealthyPercentage,
# botocore autoscaling model): when MaxHealthyPercentage is set (the Terraform provider always
# sends it, default 100) and no instance can be replaced within both bounds, Auto Scaling
# launches a new instance *before* terminating an old one. MinHealthyPercentage is rounded up
# to whole instances. With min 90 / max 100, every group of 1-9 nodes was in that case: each
# step needed a spare GPU node (a p5!), the opposite of what we meant. So, by default (no
# surge), the minimum leaves room for one node down at the group's smallest running size
# (``refresh_min_healthy_percent``); ``rollout.surge: true`` opts into launch-before-terminate.
REFRESH_MAX_HEALTHY_PERCENT = 100
REFRESH_MIN_HEALTHY_CAP = 90
"""Large groups keep at least 90% healthy (about 10% replaced at a time), AWS's default."""
SURGE_MIN_HEALTHY_PERCENT = 100
SURGE_MAX_HEALTHY_PERCENT = 200
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


def smallest_running_size(ctx: GroupContext) -> int:
    """The fewest nodes the group runs while it runs at all: ``capacity.min`` or any schedule's
    ``min`` (target tracking can go down to them), at least 1."""
    group = ctx.group
    mins = [group.capacity.min, *(s.min for s in (group.autoscaling.schedules if group.autoscaling else ()))]
    return max(1, min(m for m in mins if m is not None))


def refresh_min_healthy_percent(ctx: GroupContext) -> int:
    """No-surge minimum: at the smallest running size ``n``, ``ceil(p * n / 100) <= n - 1``, so
    one node can be down and AWS never has to launch first; at most 90 (large groups). A group
    that can run a single node (``n = 1``) gets 0: its node is replaced in place, the group is
    briefly empty, and no spare GPU node is needed. Larger groups of such a group may then
    replace several nodes at once (AWS replaces up to ``desired - ceil(p * desired / 100)``)."""
    n = smallest_running_size(ctx)
    return min(REFRESH_MIN_HEALTHY_CAP, (100 * (n - 1)) // n)


def instance_refresh(ctx: GroupContext) -> aws.autoscaling.GroupInstanceRefreshArgs:
    # A refresh starts when launch_template or mixed_instances_policy changes, which
    # includes a new launch template version number [SDK: GroupInstanceRefreshArgs].
    # skip_matching: nodes already on the new version (e.g. scaled out after the change)
    # are not replaced again.
    surge = ctx.group.rollout.surge
    return aws.autoscaling.GroupInstanceRefreshArgs(
        strategy="Rolling",
        preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
            min_healthy_percentage=SURGE_MIN_HEALTHY_PERCENT if surge else refresh_min_healthy_percent(ctx),
            max_healthy_percentage=SURGE_MAX_HEALTHY_PERCENT if surge else REFRESH_MAX_HEALTHY_PERCENT,
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
        instance_refresh=instance_refresh(ctx),
        tags=tags(ctx),
    )
