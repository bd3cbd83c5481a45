"""The AWS replacement-loop breaker (gpufleet.bootstrap.loopbreaker): two CloudWatch alarms on
the metric nodes publish, and the node's right to publish it and read the loop alarm.

- ``<asg>-config-failures``: any configuration failure (a node that is held, not replaced).
- ``<asg>-replacement-loop``: ``LOOP_THRESHOLD`` hardware failures in an hour. While it is in
  ALARM, nodes stop asking the group for a replacement (scripts/gpufleet_aws.py), as
  ParallelCluster's protected mode stops launching into a queue.

No alarm action is set: gpufleet has no notification target to name. Add one (an SNS topic)
with ``aws cloudwatch put-metric-alarm`` or your own stack to page on these alarms.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from gpufleet.aws.names import asg_name, partition
from gpufleet.bootstrap.loopbreaker import (
    CONFIG_ALARM_SUFFIX,
    CONFIG_WINDOW_SECONDS,
    LOOP_ALARM_SUFFIX,
    LOOP_THRESHOLD,
    LOOP_WINDOW_SECONDS,
    METRIC_NAME,
    METRIC_NAMESPACE,
)
from gpufleet.context import GroupContext


def _alarm(
    ctx: GroupContext, cls: str, suffix: str, period: int, threshold: int, what: str
) -> aws.cloudwatch.MetricAlarmArgs:
    return aws.cloudwatch.MetricAlarmArgs(
        name=asg_name(ctx) + suffix,
        alarm_description=what,
        namespace=METRIC_NAMESPACE,
        metric_name=METRIC_NAME,
        dimensions={"Class": cls, "AutoScalingGroupName": asg_name(ctx)},  # the order nodes send
        statistic="Sum",
        period=period,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanOrEqualToThreshold",
        # No data means no failed node: the alarm returns to OK by itself.
        treat_missing_data="notBreaching",
        tags=dict(ctx.tags),
    )


def alarm_args(ctx: GroupContext) -> list[tuple[str, aws.cloudwatch.MetricAlarmArgs]]:
    """(resource suffix, args) of the two alarms."""
    config = _alarm(
        ctx,
        "configuration",
        CONFIG_ALARM_SUFFIX,
        CONFIG_WINDOW_SECONDS,
        1,
        "gpufleet: a node failed its bootstrap or configuration; it is held, not replaced (docs/bootstrap.md)",
    )
    loop = _alarm(
        ctx,
        "hardware",
        LOOP_ALARM_SUFFIX,
        LOOP_WINDOW_SECONDS,
        LOOP_THRESHOLD,
        f"gpufleet: {LOOP_THRESHOLD} hardware failures in an hour; nodes are held, not replaced, while in ALARM",
    )
    return [(CONFIG_ALARM_SUFFIX.lstrip("-"), config), (LOOP_ALARM_SUFFIX.lstrip("-"), loop)]


def node_policy(ctx: GroupContext) -> str:
    """Publish the failure metric (namespace-scoped: PutMetricData has no resource type) and read
    this group's loop alarm [DOC: AWS Service Authorization Reference, Amazon CloudWatch:
    PutMetricData condition key cloudwatch:namespace; DescribeAlarms resource type alarm]."""
    region = ctx.group.region
    alarm = f"arn:{partition(region)}:cloudwatch:{region}:*:alarm:{asg_name(ctx)}{LOOP_ALARM_SUFFIX}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "FailureMetric",
                    "Effect": "Allow",
                    "Action": "cloudwatch:PutMetricData",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}},
                },
                {"Sid": "LoopAlarm", "Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": alarm},
            ],
        },
        sort_keys=True,
    )


def node_policy_args(ctx: GroupContext, role_name: pulumi.Input[str]) -> aws.iam.RolePolicyArgs:
    return aws.iam.RolePolicyArgs(role=role_name, policy=node_policy(ctx))


def create(ctx: GroupContext, name: str, role_name: pulumi.Input[str], opts: pulumi.ResourceOptions) -> None:
    """The alarms and the node's policy for them (wiring only)."""
    for suffix, args in alarm_args(ctx):
        aws.cloudwatch.MetricAlarm(f"{name}-{suffix}", args, opts=opts)
    aws.iam.RolePolicy(f"{name}-loopbreaker", node_policy_args(ctx, role_name), opts=opts)
