"""Network builders: a created VPC (private subnets, NAT egress, S3 gateway endpoint)
and the group's security group.

Security: nodes get no public address and no inbound rule from outside the group.
The security group is declared with no inline rules; each rule is its own resource
(inline rules and rule resources fight over the same group).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from gpufleet.aws.netplan import NetworkPlan, SubnetPlan
from gpufleet.aws.zones import is_zone_id
from gpufleet.context import GroupContext

EVERYWHERE = "0.0.0.0/0"

SecurityGroupRuleArgs = aws.vpc.SecurityGroupIngressRuleArgs | aws.vpc.SecurityGroupEgressRuleArgs


def _tags(ctx: GroupContext, role: str) -> dict[str, str]:
    return {**ctx.tags, "Name": f"{ctx.name}-{role}"}


def vpc_args(ctx: GroupContext, plan: NetworkPlan) -> aws.ec2.VpcArgs:
    # DNS support and hostnames: nodes resolve AWS endpoints (SSM, CloudWatch, S3) and
    # each other by private DNS name.
    return aws.ec2.VpcArgs(
        cidr_block=plan.cidr, enable_dns_support=True, enable_dns_hostnames=True, tags=_tags(ctx, "vpc")
    )


def subnet_args(ctx: GroupContext, vpc_id: pulumi.Input[str], subnet: SubnetPlan, role: str) -> aws.ec2.SubnetArgs:
    return aws.ec2.SubnetArgs(
        vpc_id=vpc_id,
        cidr_block=subnet.cidr,
        # A zone name or an AZ ID (the same physical zone in every account).
        availability_zone=None if is_zone_id(subnet.zone) else subnet.zone,
        availability_zone_id=subnet.zone if is_zone_id(subnet.zone) else None,
        map_public_ip_on_launch=False,
        tags=_tags(ctx, role),
    )


def internet_gateway_args(ctx: GroupContext, vpc_id: pulumi.Input[str]) -> aws.ec2.InternetGatewayArgs:
    return aws.ec2.InternetGatewayArgs(vpc_id=vpc_id, tags=_tags(ctx, "igw"))


def nat_eip_args(ctx: GroupContext) -> aws.ec2.EipArgs:
    return aws.ec2.EipArgs(domain="vpc", tags=_tags(ctx, "nat"))


def nat_gateway_args(
    ctx: GroupContext, allocation_id: pulumi.Input[str], public_subnet_id: pulumi.Input[str]
) -> aws.ec2.NatGatewayArgs:
    # One NAT gateway, in the public subnet of the first zone: egress for package and
    # image downloads. A zonal outage of that zone cuts egress of the others (a cost
    # trade-off: a NAT gateway per zone costs per hour each).
    return aws.ec2.NatGatewayArgs(allocation_id=allocation_id, subnet_id=public_subnet_id, tags=_tags(ctx, "nat"))


def route_table_args(ctx: GroupContext, vpc_id: pulumi.Input[str], role: str) -> aws.ec2.RouteTableArgs:
    return aws.ec2.RouteTableArgs(vpc_id=vpc_id, tags=_tags(ctx, role))


def default_route_args(
    route_table_id: pulumi.Input[str],
    *,
    gateway_id: pulumi.Input[str] | None = None,
    nat_gateway_id: pulumi.Input[str] | None = None,
) -> aws.ec2.RouteArgs:
    if (gateway_id is None) == (nat_gateway_id is None):
        raise ValueError("a default route needs exactly one of gateway_id or nat_gateway_id")
    return aws.ec2.RouteArgs(
        route_table_id=route_table_id,
        destination_cidr_block=EVERYWHERE,
        gateway_id=gateway_id,
        nat_gateway_id=nat_gateway_id,
    )


def association_args(
    route_table_id: pulumi.Input[str], subnet_id: pulumi.Input[str]
) -> aws.ec2.RouteTableAssociationArgs:
    return aws.ec2.RouteTableAssociationArgs(route_table_id=route_table_id, subnet_id=subnet_id)


def s3_endpoint_args(
    ctx: GroupContext, vpc_id: pulumi.Input[str], route_table_ids: Sequence[pulumi.Input[str]]
) -> aws.ec2.VpcEndpointArgs:
    # A gateway endpoint keeps S3 traffic (datasets, checkpoints) off the NAT gateway:
    # gateway endpoints have no hourly or data charge [DOC: Amazon VPC UG, "Gateway
    # endpoints"]. Service name com.amazonaws.<region>.s3 [DOC: same page; UNVERIFIED for
    # the China Regions].
    return aws.ec2.VpcEndpointArgs(
        vpc_id=vpc_id,
        service_name=f"com.amazonaws.{ctx.group.region}.s3",
        vpc_endpoint_type="Gateway",
        route_table_ids=list(route_table_ids),
        tags=_tags(ctx, "s3"),
    )


def security_group_args(ctx: GroupContext, vpc_id: pulumi.Input[str]) -> aws.ec2.SecurityGroupArgs:
    # No `ingress`/`egress` here. The provider removes the default allow-all egress rule
    # AWS adds to a new group [DOC: Terraform aws_security_group, which pulumi-aws wraps],
    # so egress is declared explicitly below.
    what = "EFA traffic within the group and egress" if ctx.group.rdma else "egress only"
    return aws.ec2.SecurityGroupArgs(
        vpc_id=vpc_id,
        description=f"gpufleet {ctx.name} nodes: {what}",
        tags=_tags(ctx, "nodes"),
    )


def security_group_rules(ctx: GroupContext, sg_id: pulumi.Input[str]) -> list[tuple[str, SecurityGroupRuleArgs]]:
    """(name suffix, args) of every rule of the group's security group.

    EFA needs a group that allows all inbound and outbound traffic to and from itself
    [DOC: Amazon EC2 UG, "Get started with EFA", step "Prepare an EFA-enabled security
    group"]. Every group gets egress to anywhere (through the NAT gateway; nodes have no
    public address) for packages, images and AWS APIs. Nothing is open to the internet.
    """
    rules: list[tuple[str, SecurityGroupRuleArgs]] = []
    if ctx.group.rdma:
        rules.append(
            (
                "efa-in",
                aws.vpc.SecurityGroupIngressRuleArgs(
                    security_group_id=sg_id,
                    ip_protocol="-1",
                    referenced_security_group_id=sg_id,
                    description="EFA: all traffic from the group itself",
                    tags=dict(ctx.tags),
                ),
            )
        )
        rules.append(
            (
                "efa-out",
                aws.vpc.SecurityGroupEgressRuleArgs(
                    security_group_id=sg_id,
                    ip_protocol="-1",
                    referenced_security_group_id=sg_id,
                    description="EFA: all traffic to the group itself",
                    tags=dict(ctx.tags),
                ),
            )
        )
    rules.append(
        (
            "egress",
            aws.vpc.SecurityGroupEgressRuleArgs(
                security_group_id=sg_id,
                ip_protocol="-1",
                cidr_ipv4=EVERYWHERE,
                description="Egress for packages, container images and AWS APIs",
                tags=dict(ctx.tags),
            ),
        )
    )
    return rules
