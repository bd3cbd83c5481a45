"""The ESS scaling group, its GPU-utilisation scaling and its scheduled tasks.

GPU scaling on Alibaba is not target tracking: ESS target-tracking rules accept only a
fixed list of metrics (CPU, memory, traffic, ALB QPS), none of them GPU [DOC: Alibaba
Cloud Auto Scaling "Target tracking scaling rules", supported metrics for ECS scaling
groups, https://help.aliyun.com/en/auto-scaling/user-guide/target-tracking-scaling-rules;
ESS DescribeScalingRules MetricName]. The custom (hybrid) target tracking variant needs
a Hybrid Cloud Monitoring namespace fed by an import task that pulumi-alicloud 4.0.0
cannot create (only FC and SLS import tasks exist under ``cms``). Event-triggered tasks
(ESS alarms) do accept ``GpuUtilizationAgent`` [DOC: ESS 2022-02-22 CreateAlarm
MetricName, "GpuUtilizationAgent: the GPU utilization. Unit: %", official
alibabacloud_ess20220222 SDK], so a group scales on two alarms driving two simple rules;
docs/alicloud.md has the reasoning.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_alicloud as alicloud

from gpufleet.alicloud.names import rule_name, scaling_group_name, scheduled_task_name, short_name
from gpufleet.alicloud.schedule import UtcSchedule, ess_schedule, task_window
from gpufleet.alicloud.spot import SPOT_CURRENCY_TAG, SpotPlan
from gpufleet.context import GroupContext
from gpufleet.metrics import GPU_UTILIZATION, GpuMetric
from gpufleet.spec import GroupSpec, ScheduleSpec

IGNORE_CHANGES = ["desiredCapacity"]
"""``pulumi up`` leaves the running size to the alarms and schedules (docs/alicloud.md)."""

TASK_IGNORE_CHANGES = ["launchTime"]
"""A scheduled task's first run is set when it is created; later changes are not sent, so moving
``scheduleStart`` to renew a window updates only the end time instead of rewriting every task's
launch time (ESS keeps repeating after a launch time that has passed: UNVERIFIED). The provider's update sends
LaunchTime only when it changed [terraform-provider-alicloud resource_alicloud_ess_scheduled_task.go,
``if d.HasChange("launch_time")``]."""

DERIVED_TASK_IGNORE_CHANGES = ["launchTime", "recurrenceEndTime"]
"""Without ``scheduleStart`` both ends of the window come from the deploy date, which moves every
day: ignoring both keeps the window a task was created with, so ``pulumi up`` rewrites nothing.
The end then never moves by itself: it is renewed by replacing the task or pinning
``scheduleStart`` (docs/alicloud.md); the component warns at ``pulumi up`` when a deployed end is
near (:func:`gpufleet.alicloud.schedule.ending_window_warning`). With the end ignored, a changed
cron still sends RecurrenceEndTime, the value in state: the provider sends type, value and end
time together when any of them changed [terraform-provider-alicloud
resource_alicloud_ess_scheduled_task.go, ``d.HasChange("recurrence_type") || ... ||
d.HasChange("recurrence_end_time")``], so the kept window goes with the new cron."""

DEFAULT_COOLDOWN_SECONDS = 300
"""The scaling group's default cooldown, ESS's own default [SDK: ess.ScalingGroup default_cooldown]."""

REMOVAL_POLICIES = ["OldestScalingConfiguration", "OldestInstance"]
"""Scale in nodes of an outdated configuration (an older image or driver) first, then the
oldest [SDK: ess.ScalingGroup removal_policies; the ESS defaults in this order]."""

ALARM_PERIOD_SECONDS = 60
"""Metric period of the GPU alarms; ESS alarms take 60, 120, 300 or 900 [SDK: ess.Alarm period]."""

SCALE_OUT_EVALUATIONS = 3
SCALE_IN_EVALUATIONS = 15
"""Consecutive periods before acting: 3 to scale out, 15 to scale in, the same as the
alarms ESS creates for its own target-tracking rules ("Progressive scale-out: threshold
exceeded for 3 consecutive minutes"; "Conservative scale-in: ... 15 consecutive minutes")
[DOC: Auto Scaling "Target tracking scaling rules", auto-created event-triggered tasks]."""

SCALE_OUT_PERCENT = 25
SCALE_OUT_COOLDOWN_SECONDS = 600
"""Add 25% of the group (at least one node) per step, then wait 10 minutes: a GPU node
boots and installs its driver before it reports utilisation. Tuning values, not limits."""

SCALE_OUT_OPERATOR = ">="
SCALE_IN_OPERATOR = "<"
"""Strict, so the scale-in condition never holds at a value whose doubled average reaches
the scale-out threshold (see :class:`GpuScaling`) [SDK: ess.Alarm comparison_operator:
">=", "<=", ">", "<"]."""

MultiAzPolicy = Literal["PRIORITY", "BALANCE", "COST_OPTIMIZED"]


def multi_az_policy(group: GroupSpec, vswitches: int) -> MultiAzPolicy:
    """How ESS spreads nodes over the vSwitches [SDK: ess.ScalingGroup multi_az_policy;
    DOC: terraform-provider-alicloud ess_scaling_group, multi_az_policy]:

    - eRDMA: ``PRIORITY``, filling the first vSwitch first so nodes share a zone (rules.py
      also limits eRDMA groups to one zone and refuses an on-demand base or percentage,
      which only ``COST_OPTIMIZED`` has; spot still comes from the configuration's
      ``spot_strategy``, without spot pools or remedy);
    - spot or mixed: ``COST_OPTIMIZED`` (cheapest vCPU price first, spot first), the only
      policy where on-demand base/percentage, spot pools and spot remedy apply;
    - otherwise ``BALANCE`` over several vSwitches, ``PRIORITY`` with one.
    """
    if group.rdma:
        return "PRIORITY"
    if group.market.is_spot:
        return "COST_OPTIMIZED"
    if vswitches <= 1:
        return "PRIORITY"
    return "BALANCE"


def deletion_protected(ctx: GroupContext) -> bool:
    """Production fleets (merged tags ``env: prod``) cannot lose their group by mistake."""
    return ctx.tags.get("env") == "prod"


def scaling_group_args(
    ctx: GroupContext, vswitch_ids: Sequence[pulumi.Input[str]], vswitches: int, spot: SpotPlan
) -> alicloud.ess.ScalingGroupArgs:
    group = ctx.group
    policy = multi_az_policy(group, vswitches)
    cost_optimized = policy == "COST_OPTIMIZED"
    return alicloud.ess.ScalingGroupArgs(
        scaling_group_name=scaling_group_name(ctx.name),
        min_size=group.capacity.min,
        max_size=group.capacity.max,
        desired_capacity=group.capacity.initial,
        vswitch_ids=vswitch_ids,
        multi_az_policy=policy,
        # These four are valid only with COST_OPTIMIZED [DOC: terraform-provider-alicloud
        # ess_scaling_group: on_demand_base_capacity ... spot_instance_remedy "are valid
        # only if multi_az_policy is COST_OPTIMIZED"].
        on_demand_base_capacity=group.market.on_demand_base if cost_optimized else None,
        on_demand_percentage_above_base_capacity=group.market.percent_above_base if cost_optimized else None,
        spot_instance_pools=spot.pools if cost_optimized else None,
        # Replace a spot node as soon as its reclaim notice arrives [SDK: spot_instance_remedy].
        spot_instance_remedy=True if cost_optimized else None,
        # "spot" means spot: no silent fallback to on-demand when spot is short.
        compensate_with_on_demand=False if cost_optimized else None,
        removal_policies=REMOVAL_POLICIES,
        default_cooldown=DEFAULT_COOLDOWN_SECONDS,
        health_check_types=["ECS"],
        group_deletion_protection=deletion_protected(ctx),
        tags=dict(ctx.tags) | ({SPOT_CURRENCY_TAG: spot.currency} if spot.limits and spot.currency else {}),
    )


# -- GPU utilisation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GpuScaling:
    """Two CloudMonitor alarms on the group's average GPU utilisation."""

    metric: GpuMetric
    target: float
    scale_out_at: float
    """Average >= this (:data:`SCALE_OUT_OPERATOR`) for 3 minutes adds nodes (the target)."""
    scale_in_at: float
    """Average strictly below this (:data:`SCALE_IN_OPERATOR`) for 15 minutes removes one
    node: half the target, rounded down to 0.1. Removing one of N >= 2 nodes multiplies the
    average by N/(N-1) <= 2, so it stays strictly below the target and cannot trigger the
    scale-out alarm (``>=``): two nodes at exactly half the target do not scale in, which
    would leave one node at exactly the target and scale out again."""
    scale_in_cooldown: int


def gpu_scaling(ctx: GroupContext) -> GpuScaling | None:
    auto = ctx.group.autoscaling
    if auto is None or auto.gpu_utilization_target is None:
        return None
    target = auto.gpu_utilization_target
    return GpuScaling(
        metric=GPU_UTILIZATION["alicloud"],
        target=target,
        scale_out_at=target,
        # Rounded down, never up: a threshold above target/2 could double past the target.
        scale_in_at=math.floor(target * 5) / 10,
        scale_in_cooldown=auto.scale_in_cooldown_seconds,
    )


def scale_out_rule_args(ctx: GroupContext, scaling_group_id: pulumi.Input[str]) -> alicloud.ess.ScalingRuleArgs:
    # PercentChangeInCapacity with a minimum magnitude of 1 still adds a node to a
    # one-node group [SDK: ess.ScalingRule min_adjustment_magnitude].
    return alicloud.ess.ScalingRuleArgs(
        scaling_group_id=scaling_group_id,
        scaling_rule_name=rule_name(ctx.name, "gpu-scale-out"),
        scaling_rule_type="SimpleScalingRule",
        adjustment_type="PercentChangeInCapacity",
        adjustment_value=SCALE_OUT_PERCENT,
        min_adjustment_magnitude=1,
        cooldown=SCALE_OUT_COOLDOWN_SECONDS,
    )


def scale_in_rule_args(
    ctx: GroupContext, scaling_group_id: pulumi.Input[str], plan: GpuScaling
) -> alicloud.ess.ScalingRuleArgs:
    return alicloud.ess.ScalingRuleArgs(
        scaling_group_id=scaling_group_id,
        scaling_rule_name=rule_name(ctx.name, "gpu-scale-in"),
        scaling_rule_type="SimpleScalingRule",
        adjustment_type="QuantityChangeInCapacity",
        adjustment_value=-1,
        cooldown=plan.scale_in_cooldown,
    )


def alarm_args(
    ctx: GroupContext,
    scaling_group_id: pulumi.Input[str],
    rule_ari: pulumi.Input[str],
    plan: GpuScaling,
    direction: Literal["out", "in"],
) -> alicloud.ess.AlarmArgs:
    """An event-triggered task on the group's average GpuUtilizationAgent. ESS adds the
    scaling-group dimension itself [SDK: ess.Alarm dimensions: "scaling_group" is set by
    default], so the average is over the group's nodes."""
    out = direction == "out"
    threshold = plan.scale_out_at if out else plan.scale_in_at
    operator = SCALE_OUT_OPERATOR if out else SCALE_IN_OPERATOR
    return alicloud.ess.AlarmArgs(
        scaling_group_id=scaling_group_id,
        name=short_name(f"{ctx.name}-gpu-{'high' if out else 'low'}", 64),
        description=(
            f"{plan.metric.namespace}/{plan.metric.name} average {operator} {threshold:g}% (target {plan.target:g}%)"
        ),
        metric_type=plan.metric.namespace,  # "system" (metrics.py)
        metric_name=plan.metric.name,
        statistics="Average",
        period=ALARM_PERIOD_SECONDS,
        evaluation_count=SCALE_OUT_EVALUATIONS if out else SCALE_IN_EVALUATIONS,
        comparison_operator=operator,
        threshold=f"{threshold:g}",
        alarm_actions=[rule_ari],
        enable=True,
    )


# -- schedules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledTaskPlan:
    """One spec schedule as an ESS task."""

    name: str
    utc: UtcSchedule
    args: alicloud.ess.ScheduledTaskArgs
    derived: bool
    """True when the window comes from the run date (no ``scheduleStart``)."""
    ignore_changes: list[str]
    """What ``pulumi up`` must not change on the task once created."""


def schedule_name(schedule: ScheduleSpec, index: int) -> str:
    return schedule.label(index)


def scheduled_tasks(ctx: GroupContext, scaling_group_id: pulumi.Input[str], today: dt.date) -> list[ScheduledTaskPlan]:
    """One recurring ``Cron`` task per schedule, converted to UTC. The window starts on
    ``autoscaling.scheduleStart``, else on ``today`` (the run's date: the plan's ``--as-of``, the
    deploy date at ``pulumi up``). rules.py has refused every schedule this would reject for any
    start in the years ahead, so a ScheduleError here means a start beyond them."""
    auto = ctx.group.autoscaling
    if auto is None or not auto.schedules:
        return []
    derived = auto.schedule_start is None
    start = today if auto.schedule_start is None else auto.schedule_start
    plans = []
    for i, s in enumerate(auto.schedules):
        utc = ess_schedule(s.cron, s.timezone, start)
        window = task_window(utc.cron, start)
        name = scheduled_task_name(ctx.name, schedule_name(s, i))
        args = alicloud.ess.ScheduledTaskArgs(
            scaling_group_id=scaling_group_id,
            scheduled_task_name=name,
            # Descriptions are 2-200 characters [SDK: ess.ScheduledTask description].
            description=f"'{s.cron}' in {s.timezone} = '{utc.cron}' UTC (gpufleet {ctx.name})"[:200],
            recurrence_type="Cron",
            recurrence_value=utc.cron,
            launch_time=window.launch_time,
            recurrence_end_time=window.end_time,
            min_value=s.min,
            max_value=s.max,
            desired_capacity=s.desired,
            task_enabled=True,
        )
        ignore = DERIVED_TASK_IGNORE_CHANGES if derived else TASK_IGNORE_CHANGES
        plans.append(ScheduledTaskPlan(name=name, utc=utc, args=args, derived=derived, ignore_changes=ignore))
    return plans
