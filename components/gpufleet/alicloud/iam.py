"""The node's RAM role: trusted by ECS, allowed only to report its own health to ESS.

A node that fails its GPU health check calls ESS ``SetInstanceHealth`` with
``HealthStatus=Unhealthy`` and its own instance id; ESS then replaces it [DOC: ESS
2022-02-22 SetInstanceHealth, https://www.alibabacloud.com/help/en/auto-scaling/
developer-reference/api-ess-2022-02-22-setinstancehealth]. The call needs only the
instance id and region (both from instance metadata), and the STS credentials of this
role come from ``/latest/meta-data/ram/security-credentials/<role>``.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_alicloud as alicloud

from gpufleet.alicloud.names import ram_role_name
from gpufleet.context import GroupContext

# Instance RAM roles are assumed by the ECS service [DOC: Alibaba Cloud RAM "Instance RAM
# roles", trust policy with Principal.Service "ecs.aliyuncs.com"].
TRUST_POLICY = json.dumps(
    {
        "Version": "1",
        "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}],
    },
    sort_keys=True,
)


def role_args(ctx: GroupContext) -> alicloud.ram.RoleArgs:
    return alicloud.ram.RoleArgs(
        role_name=ram_role_name(ctx.name),
        assume_role_policy_document=TRUST_POLICY,
        description=f"gpufleet {ctx.name} GPU nodes: report own health to ESS",
        tags=dict(ctx.tags),
    )


def node_policy_document(region: str, scaling_group_id: str) -> str:
    """Least privilege: ``ess:SetInstanceHealth`` on this scaling group only.

    Resource format ``acs:ess:{regionId}:{accountId}:scalinggroup/{ScalingGroupId}`` [DOC:
    Alibaba Cloud RAM "Actions, resources and condition keys for Auto Scaling",
    SetInstanceHealth]; the account is a wildcard (the role lives in the same account).
    """
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ess:SetInstanceHealth"],
                    "Resource": [f"acs:ess:{region}:*:scalinggroup/{scaling_group_id}"],
                }
            ],
        },
        sort_keys=True,
    )


def static_node_policy_document(region: str, instance_ids: list[str]) -> str:
    """A static cluster's nodes have no scaling group: each may only tag the cluster's own
    instances (its health tag). ``ecs:TagResources`` on ``acs:ecs:{regionId}:{accountId}:
    instance/{InstanceId}`` [DOC: Alibaba Cloud RAM "Actions, resources and condition keys for
    ECS", TagResources; UNVERIFIED that the action authorises per instance ARN rather than ``*``]."""
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ecs:TagResources"],
                    "Resource": [f"acs:ecs:{region}:*:instance/{i}" for i in instance_ids],
                }
            ],
        },
        sort_keys=True,
    )


def policy_name(ctx: GroupContext) -> str:
    """Custom policy names are 1-128 characters [SDK: ram.Policy policy_name]."""
    return f"{ctx.name}-node-health"


def policy_attachment_args(policy: pulumi.Input[str], role: pulumi.Input[str]) -> alicloud.ram.RolePolicyAttachmentArgs:
    return alicloud.ram.RolePolicyAttachmentArgs(policy_name=policy, policy_type="Custom", role_name=role)


def policy_args(ctx: GroupContext, document: pulumi.Input[str]) -> alicloud.ram.PolicyArgs:
    return alicloud.ram.PolicyArgs(
        policy_name=policy_name(ctx),
        policy_document=document,
        description=f"gpufleet {ctx.name}: nodes mark themselves unhealthy",
        tags=dict(ctx.tags),
    )
