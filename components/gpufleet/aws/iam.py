"""The node's IAM identity: a role EC2 can assume, with only what a GPU node needs.

- ``AmazonSSMManagedInstanceCore``: Session Manager access instead of SSH keys and
  inbound ports [DOC: AWS Systems Manager UG, "Configure instance permissions"].
- ``CloudWatchAgentServerPolicy``: the CloudWatch agent publishes the GPU metric the
  autoscaler tracks (gpufleet.metrics.AWS_GPU_UTILIZATION) [DOC: CloudWatch UG, "Create
  IAM roles to use with the CloudWatch agent on Amazon EC2 instances"].
- An inline policy that lets the node act on its own group only: complete or extend
  the termination lifecycle action (drain script) and report itself unhealthy (GPU
  health check).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from gpufleet.aws.names import asg_arn_pattern, partition
from gpufleet.context import GroupContext

MANAGED_POLICIES = ("AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy")
"""AWS managed policies attached to the node role (ARN ``arn:<partition>:iam::aws:policy/<name>``)."""

NODE_ACTIONS = (
    "autoscaling:CompleteLifecycleAction",
    "autoscaling:RecordLifecycleActionHeartbeat",
    "autoscaling:SetInstanceHealth",
)
"""What the node may do to its own ASG. All three accept an autoScalingGroup resource ARN
[DOC: AWS Service Authorization Reference, Amazon EC2 Auto Scaling actions table]."""


def managed_policy_arns(region: str) -> list[str]:
    return [f"arn:{partition(region)}:iam::aws:policy/{name}" for name in MANAGED_POLICIES]


def assume_role_policy() -> str:
    """Trust policy: only the EC2 service may assume the node role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        },
        sort_keys=True,
    )


def node_policy(ctx: GroupContext) -> str:
    """Inline policy: lifecycle and health actions on this group's ASG only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OwnGroupLifecycle",
                    "Effect": "Allow",
                    "Action": list(NODE_ACTIONS),
                    "Resource": asg_arn_pattern(ctx),
                }
            ],
        },
        sort_keys=True,
    )


def role_args(ctx: GroupContext) -> aws.iam.RoleArgs:
    # No explicit name: Pulumi appends an 8-character suffix to "<fleet>-<group>-node",
    # which aws/rules.py keeps within IAM's 64-character limit.
    return aws.iam.RoleArgs(
        assume_role_policy=assume_role_policy(),
        description=f"gpufleet node role for {ctx.name}",
        tags=dict(ctx.tags),
    )


def policy_attachment_args(role_name: pulumi.Input[str], policy_arn: str) -> aws.iam.RolePolicyAttachmentArgs:
    return aws.iam.RolePolicyAttachmentArgs(role=role_name, policy_arn=policy_arn)


def node_policy_args(ctx: GroupContext, role_name: pulumi.Input[str]) -> aws.iam.RolePolicyArgs:
    return aws.iam.RolePolicyArgs(role=role_name, policy=node_policy(ctx))


def instance_profile_args(ctx: GroupContext, role_name: pulumi.Input[str]) -> aws.iam.InstanceProfileArgs:
    return aws.iam.InstanceProfileArgs(role=role_name, tags=dict(ctx.tags))
