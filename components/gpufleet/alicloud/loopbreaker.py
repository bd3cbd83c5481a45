"""The Alibaba Cloud side of the replacement-loop breaker (gpufleet.bootstrap.loopbreaker).

Configuration failures are never reported to ESS (no replacement, so no loop). Hardware
failures are: ESS removes the instance and launches another. This module makes that visible:
an ESS notification sends the group's failed launches and its removals to CloudMonitor system
events, where an alert rule can page [DOC: Alibaba Auto Scaling API CreateNotificationConfiguration
("CloudMonitor system events, MNS queues or MNS topics"); pulumi-alicloud ess.Notification:
``notification_arn`` is ``acs:ess:{region}:{account-id}:cloudmonitor``]. ESS has no threshold
that stops replacing; whether removals of unhealthy instances are SCALE_IN events is UNVERIFIED.
"""

from __future__ import annotations

import pulumi
import pulumi_alicloud as alicloud

from gpufleet.context import GroupContext

NOTIFICATION_TYPES = ("AUTOSCALING:SCALE_OUT_ERROR", "AUTOSCALING:SCALE_IN_SUCCESS")
"""A launch that failed, and an instance that left the group (pulumi-alicloud NotificationArgs
docstring lists both among the supported types)."""


def account_of(role_arn: str) -> str:
    """The account id in a RAM role ARN, ``acs:ram::<account-id>:role/<name>``."""
    return role_arn.split(":")[3]


def notification_args(
    ctx: GroupContext, scaling_group_id: pulumi.Input[str], role_arn: pulumi.Input[str]
) -> alicloud.ess.NotificationArgs:
    """The account comes from the node role's ARN: the plan knows no account id, the cloud does."""
    account = pulumi.Output.from_input(role_arn).apply(account_of)
    return alicloud.ess.NotificationArgs(
        scaling_group_id=scaling_group_id,
        notification_arn=pulumi.Output.concat("acs:ess:", ctx.group.region, ":", account, ":cloudmonitor"),
        notification_types=list(NOTIFICATION_TYPES),
    )


def create(
    ctx: GroupContext,
    name: str,
    scaling_group_id: pulumi.Input[str],
    role_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> None:
    """The notification (wiring only)."""
    alicloud.ess.Notification(f"{name}-events", notification_args(ctx, scaling_group_id, role_arn), opts=opts)
