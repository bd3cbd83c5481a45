"""Deterministic physical names of one AWS group's resources.

Names that the node itself must know (the ASG it belongs to, its lifecycle hook) are
fixed strings derived from the group, not provider-generated: the launch template's
user data and the node role's policy need them before the ASG exists, and taking them
from the ASG's outputs would make a dependency cycle (ASG -> launch template -> user
data -> ASG).
"""

from __future__ import annotations

from gpufleet.context import GroupContext


def asg_name(ctx: GroupContext) -> str:
    """The Auto Scaling group's name: ``<fleet>-<group>``.

    ASG names are 1-255 ASCII characters without ``:`` and unique per account and Region
    [DOC: AWS CreateAutoScalingGroup.AutoScalingGroupName]; ``ctx.name`` is lowercase
    letters, digits and hyphens, at most 50 characters (aws/rules.py).
    """
    return ctx.name


def lifecycle_hook_name(ctx: GroupContext) -> str:
    """The termination hook that lets a node drain or checkpoint before it goes."""
    return f"{ctx.name}-drain"


def partition(region: str) -> str:
    """The ARN partition of a Region: ``aws``, ``aws-cn`` or ``aws-us-gov``.

    [DOC: AWS General Reference, "Amazon Resource Names (ARNs)", partitions; China Regions
    are ``cn-*``, GovCloud Regions ``us-gov-*``.]
    """
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def asg_arn_pattern(ctx: GroupContext) -> str:
    """An ARN pattern that matches exactly this group's ASG, known before it exists.

    ASG ARNs are ``arn:<partition>:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:
    autoScalingGroupName/<name>`` [DOC: AWS Service Authorization Reference, "Actions,
    resources, and condition keys for Amazon EC2 Auto Scaling", resource type
    autoScalingGroup]. The account and the group's UUID are wildcards: the account is
    the one the role lives in (no look-up at plan time), and the name is unique per
    account and Region.
    """
    region = ctx.group.region
    return f"arn:{partition(region)}:autoscaling:{region}:*:autoScalingGroup:*:autoScalingGroupName/{asg_name(ctx)}"
