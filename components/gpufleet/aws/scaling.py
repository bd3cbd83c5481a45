"""Autoscaling: target tracking on GPU utilisation and cron schedules in a time zone.

Scale to zero is ``capacity.min: 0``. Target tracking cannot scale *out* of zero on a
metric the (absent) nodes publish; a schedule or a manual desired-capacity change brings
the first node back (docs/aws.md).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from gpufleet.aws.asg import HEALTH_CHECK_GRACE_SECONDS
from gpufleet.aws.names import asg_name
from gpufleet.context import GroupContext
from gpufleet.metrics import AWS_GPU_UTILIZATION

UNCHANGED = -1
"""Schedule min/max/desired sentinel: leave the value as it is. The provider's default is
0, which would scale the group to zero [SDK: aws.autoscaling.Schedule docstring, "Set to
-1 if you don't want to change"; research notes 4a]."""


def target_tracking_args(ctx: GroupContext, group_name: pulumi.Input[str]) -> aws.autoscaling.PolicyArgs | None:
    """Keep the group's average GPU utilisation at the target, or None without a target.

    The metric is the one the bootstrap's CloudWatch agent publishes, aggregated per
    ASG (gpufleet.metrics.AWS_GPU_UTILIZATION). EC2 Auto Scaling target tracking has no
    scale-in cooldown (``scaleInCooldownSeconds`` is not used on AWS); it scales in
    gradually, and new nodes count only after ``estimated_instance_warmup``.
    ``group_name`` is the ASG's name output (so the policy waits for the group); the
    metric dimension uses the same, deterministic name.
    """
    auto = ctx.group.autoscaling
    if auto is None or auto.gpu_utilization_target is None:
        return None
    metric = AWS_GPU_UTILIZATION
    dimensions = []
    if metric.group_dimension is not None:
        dimensions.append(
            aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetricDimensionArgs(
                name=metric.group_dimension, value=asg_name(ctx)
            )
        )
    return aws.autoscaling.PolicyArgs(
        name=f"{ctx.name}-gpu-utilization",
        autoscaling_group_name=group_name,
        policy_type="TargetTrackingScaling",  # [SDK: PolicyArgs.policy_type values]
        estimated_instance_warmup=HEALTH_CHECK_GRACE_SECONDS,
        target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
            target_value=float(auto.gpu_utilization_target),
            customized_metric_specification=aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationArgs(
                namespace=metric.namespace,
                metric_name=metric.name,
                metric_dimensions=dimensions,
                # No `unit`: a unit that differs from the one the agent publishes
                # matches no data points.
                statistic="Average",
            ),
        ),
    )


def schedule_args(ctx: GroupContext, group_name: pulumi.Input[str]) -> list[tuple[str, aws.autoscaling.ScheduleArgs]]:
    """(action name, args): one scheduled action per spec schedule, its cron read in its
    IANA time zone. Names are ``<fleet>-<group>-<schedule name or schedule-<i>>``.

    ``time_zone`` takes IANA names [DOC: PutScheduledUpdateGroupAction.TimeZone, research
    notes 4a]; the spec validates them.
    """
    auto = ctx.group.autoscaling
    if auto is None:
        return []
    out = []
    for i, s in enumerate(auto.schedules):
        action = f"{ctx.name}-{s.label(i)}"
        args = aws.autoscaling.ScheduleArgs(
            autoscaling_group_name=group_name,
            scheduled_action_name=action,
            recurrence=s.cron,
            time_zone=s.timezone,
            min_size=UNCHANGED if s.min is None else s.min,
            max_size=UNCHANGED if s.max is None else s.max,
            desired_capacity=UNCHANGED if s.desired is None else s.desired,
        )
        out.append((action, args))
    return out
