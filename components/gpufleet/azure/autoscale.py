"""Pure builders for a group's Azure autoscale setting and the metrics role it relies on.

- A default profile with the group's min/initial/max and, with ``gpuUtilizationTarget``,
  a scale-out and a scale-in rule on GPU utilisation.
- Without GPU rules or schedules but with a range (``capacity.min < capacity.max``), the
  default profile alone, no rules: a scale set has no min or max of its own, so this is
  what carries ``capacity.max`` to Azure (and what the budget policy reads, as the plan's
  cost table prices ``capacity.max``).
- One recurrence profile per start time of each schedule (``azure/schedule.py`` converts
  cron and zone; ARM takes one hour and one minute per recurrence). Each keeps the GPU
  rules, so scaling goes on inside the schedule's bounds.

The metric is the custom metric the bootstrap's agent publishes on the scale set
(:data:`gpufleet.metrics.AZURE_GPU_UTILIZATION`, written down once there).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import authorization, monitor

from gpufleet.azure.layout import ScaleSetPlan
from gpufleet.azure.schedule import (
    DEFAULT_PROFILE,
    MAX_RULES_PER_PROFILE,
    ProfileCapacity,
    cron_to_recurrence,
    profile_name,
    schedule_capacity,
)
from gpufleet.context import GroupContext
from gpufleet.metrics import AZURE_GPU_UTILIZATION
from gpufleet.spec import AutoscalingSpec, CapacitySpec, GroupSpec

# Metric windows: time grain 1 minute to 12 hours, time window 5 minutes to 12 hours [SDK:
# monitor.MetricTriggerArgs docstrings]. Ten minutes smooths short spikes.
TIME_GRAIN = "PT1M"
TIME_WINDOW = "PT10M"
# GPU nodes take minutes to boot and publish metrics; wait before adding another.
SCALE_OUT_COOLDOWN = "PT10M"
# Scale in below the target minus this many points (or half the target when that is lower):
# a gap between the two thresholds keeps autoscale from flapping [DOC: Microsoft Learn
# "Best practices for autoscale", choose thresholds with a margin; UNVERIFIED wording].
SCALE_IN_MARGIN = 20.0

# Telegraf's azure_monitor output writes custom metrics with the node's managed identity,
# which needs "Monitoring Metrics Publisher" on the resource the metrics are written to
# [DOC: influxdata/telegraf plugins/outputs/azure_monitor README]. Built-in role id
# [DOC: Microsoft Learn "Azure built-in roles", Monitoring Metrics Publisher].
METRICS_PUBLISHER_ROLE_ID = "3913510d-42f4-4e42-8a64-420c390055eb"


def gpu_rules_active(autoscaling: AutoscalingSpec | None) -> bool:
    """The GPU rules go into the setting: a target, and the metric exists (``metricPublished``).

    ARM validates that a custom metric exists on the resource when an autoscale rule names it
    ("UnsupportedMetric"): an Azure autoscale engineer in MicrosoftDocs/azure-docs#16061 (2021-06-20:
    "for custom metrics ... we are validating the metric metadata does exist"), the error in
    Azure/azure-cli#13908 and #25986 (2023-03-30). No later source says the check was relaxed
    (searched 2026-11-29), so the rules wait for the metric: two phases, see docs/azure.md."""
    return autoscaling is not None and autoscaling.gpu_utilization_target is not None and autoscaling.metric_published


def owns_capacity(group: GroupSpec) -> bool:
    """Autoscale changes the count of the autoscaled set (GPU rules or schedules), so Pulumi must
    leave ``sku.capacity`` to it; every other set's count is Pulumi's to keep."""
    scaling = group.autoscaling
    return scaling is not None and (gpu_rules_active(scaling) or bool(scaling.schedules))


def needs_setting(group: GroupSpec) -> bool:
    """An autoscale setting: to scale (:func:`owns_capacity`), or to hold a declared range. With
    no rules, autoscale only keeps the count between the profile's minimum and maximum [DOC:
    MicrosoftDocs azure-docs autoscale-understanding-settings.md, capacity; that a rule-less
    profile changes nothing inside the bounds is UNVERIFIED]."""
    scaling = group.autoscaling
    deferred = scaling is not None and scaling.gpu_utilization_target is not None  # rules come in phase 2
    return owns_capacity(group) or deferred or group.capacity.min < group.capacity.max


def iso_seconds(seconds: int) -> str:
    """An ISO 8601 duration, in whole minutes when it divides evenly."""
    return f"PT{seconds // 60}M" if seconds % 60 == 0 else f"PT{seconds}S"


def scale_in_threshold(target: float) -> float:
    return max(target - SCALE_IN_MARGIN, target / 2)


def gpu_rules(autoscaling: AutoscalingSpec, scale_set_id: pulumi.Input[str]) -> list[monitor.ScaleRuleArgs]:
    """Scale out above the GPU utilisation target, in below it by a margin; none without a target or
    before the metric exists (:func:`gpu_rules_active`)."""
    target = autoscaling.gpu_utilization_target
    if target is None or not gpu_rules_active(autoscaling):
        return []
    metric = AZURE_GPU_UTILIZATION

    def trigger(operator: monitor.ComparisonOperationType, threshold: float) -> monitor.MetricTriggerArgs:
        return monitor.MetricTriggerArgs(
            metric_name=metric.name,
            metric_namespace=metric.namespace,
            metric_resource_uri=scale_set_id,
            operator=operator,
            statistic=monitor.MetricStatisticType.AVERAGE,
            threshold=threshold,
            time_aggregation=monitor.TimeAggregationType.AVERAGE,
            time_grain=TIME_GRAIN,
            time_window=TIME_WINDOW,
        )

    rules = [
        monitor.ScaleRuleArgs(
            metric_trigger=trigger(monitor.ComparisonOperationType.GREATER_THAN, target),
            scale_action=monitor.ScaleActionArgs(
                direction=monitor.ScaleDirection.INCREASE,
                type=monitor.ScaleType.CHANGE_COUNT,
                value="1",
                cooldown=SCALE_OUT_COOLDOWN,
            ),
        ),
        monitor.ScaleRuleArgs(
            metric_trigger=trigger(monitor.ComparisonOperationType.LESS_THAN, scale_in_threshold(target)),
            scale_action=monitor.ScaleActionArgs(
                direction=monitor.ScaleDirection.DECREASE,
                type=monitor.ScaleType.CHANGE_COUNT,
                value="1",
                cooldown=iso_seconds(autoscaling.scale_in_cooldown_seconds),
            ),
        ),
    ]
    assert len(rules) <= MAX_RULES_PER_PROFILE
    return rules


def _capacity(c: ProfileCapacity) -> monitor.ScaleCapacityArgs:
    # The API takes the counts as strings [pulumi-azure-native monitor.ScaleCapacityArgs docstring].
    return monitor.ScaleCapacityArgs(minimum=str(c.minimum), default=str(c.default), maximum=str(c.maximum))


def profiles(
    autoscaling: AutoscalingSpec | None,
    capacity: CapacitySpec,
    plan: ScaleSetPlan,
    scale_set_id: pulumi.Input[str],
) -> list[monitor.AutoscaleProfileArgs]:
    """The default profile, then one recurrence profile per start time of each schedule (validated,
    within the profile limit, by ``azure/rules.py``); the default profile alone, without rules,
    when the group has no ``autoscaling``."""
    rules = gpu_rules(autoscaling, scale_set_id) if autoscaling is not None else []
    out = [monitor.AutoscaleProfileArgs(name=DEFAULT_PROFILE, capacity=_capacity(plan.capacity), rules=rules)]
    for i, schedule in enumerate(autoscaling.schedules if autoscaling is not None else ()):
        when = cron_to_recurrence(schedule.cron, schedule.timezone)
        counts = _capacity(schedule_capacity(schedule, capacity, plan.base))
        for hour, minute in when.start_times():
            out.append(
                monitor.AutoscaleProfileArgs(
                    name=profile_name(schedule.label(i), when, hour, minute),
                    capacity=counts,
                    rules=rules,
                    recurrence=monitor.RecurrenceArgs(
                        frequency=monitor.RecurrenceFrequency.WEEK,
                        schedule=monitor.RecurrentScheduleArgs(
                            days=list(when.days), hours=[hour], minutes=[minute], time_zone=when.time_zone
                        ),
                    ),
                )
            )
    return out


def autoscale_setting_args(
    ctx: GroupContext, plan: ScaleSetPlan, *, scale_set_id: pulumi.Input[str], rg_name: pulumi.Input[str]
) -> monitor.AutoscaleSettingArgs:
    """The group's autoscale setting on the autoscaled scale set ``plan`` (see :func:`needs_setting`)."""
    group, location = ctx.group, ctx.group.region
    return monitor.AutoscaleSettingArgs(
        resource_group_name=rg_name,
        location=location,
        target_resource_uri=scale_set_id,
        target_resource_location=location,
        # The SDK default is false [pulumi-azure-native monitor.AutoscaleSetting ``enabled`` docstring]:
        # a disabled setting scales nothing.
        enabled=True,
        profiles=profiles(group.autoscaling, group.capacity, plan, scale_set_id),
        tags=dict(ctx.tags),
    )


def subscription_of(resource_id: str) -> str:
    """``/subscriptions/<id>`` from an ARM resource id."""
    parts = resource_id.split("/")
    if len(parts) < 3 or parts[1].lower() != "subscriptions":
        raise ValueError(f"not an ARM resource id: {resource_id!r}")
    return f"/subscriptions/{parts[2]}"


def metrics_publisher_args(
    scale_set_id: pulumi.Output[str], principal_id: pulumi.Input[str]
) -> authorization.RoleAssignmentArgs:
    """Let the scale set's own identity publish custom metrics onto the scale set, nothing more."""
    role = scale_set_id.apply(
        lambda sid: (
            f"{subscription_of(sid)}/providers/Microsoft.Authorization/roleDefinitions/{METRICS_PUBLISHER_ROLE_ID}"
        )
    )
    return authorization.RoleAssignmentArgs(
        scope=scale_set_id,
        principal_id=principal_id,
        # The principal was just created; naming its type avoids a replication-delay failure
        # [DOC: Microsoft Learn "Assign Azure roles using ARM templates", principalType; UNVERIFIED here].
        principal_type="ServicePrincipal",
        role_definition_id=role,
    )
