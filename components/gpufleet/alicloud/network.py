"""Network builders: VPC, one vSwitch per zone, NAT egress and the nodes' security group.

Nodes get no public address (``internet_max_bandwidth_out = 0`` in launch.py); a created
network reaches package mirrors and NVIDIA's repositories through an enhanced NAT gateway
with one EIP. Pure functions: spec/context in, provider ``...Args`` out.
"""

from __future__ import annotations

import pulumi
import pulumi_alicloud as alicloud

from gpufleet.alicloud.netplan import vswitch_cidrs
from gpufleet.context import GroupContext

ANYWHERE = "0.0.0.0/0"
"""Used for egress only; no ingress rule may use it (tests/alicloud assert this)."""

NAT_EIP_BANDWIDTH_MBPS = "200"
"""Cap of the NAT's pay-by-traffic EIP, enough to pull drivers and container images. Not a
cloud limit; the valid range for PayByTraffic is given by the SDK docstring as 1-200
(truncated there; UNVERIFIED beyond 200)."""


def vpc_args(ctx: GroupContext) -> alicloud.vpc.NetworkArgs:
    return alicloud.vpc.NetworkArgs(
        vpc_name=ctx.name,
        cidr_block=ctx.group.network.address_space,
        description=f"gpufleet {ctx.name}",
        tags=dict(ctx.tags),
    )


def vswitch_plan(ctx: GroupContext) -> list[tuple[str, str]]:
    """(zone, CIDR) of each vSwitch of a created network, in the spec's zone order
    (PRIORITY scaling tries vSwitches in this order)."""
    zones = ctx.group.zones
    return list(zip(zones, vswitch_cidrs(ctx.group.network.address_space, len(zones)), strict=True))


def vswitch_args(ctx: GroupContext, vpc_id: pulumi.Input[str], zone: str, cidr: str) -> alicloud.vpc.SwitchArgs:
    return alicloud.vpc.SwitchArgs(
        vpc_id=vpc_id,
        zone_id=zone,
        cidr_block=cidr,
        vswitch_name=f"{ctx.name}-{zone}",
        tags=dict(ctx.tags),
    )


def nat_gateway_args(
    ctx: GroupContext, vpc_id: pulumi.Input[str], vswitch_id: pulumi.Input[str]
) -> alicloud.vpc.NatGatewayArgs:
    # Enhanced is the only type new gateways can have, and PayByLcu its charge type
    # [SDK: vpc.NatGateway nat_type, internet_charge_type docstrings].
    return alicloud.vpc.NatGatewayArgs(
        vpc_id=vpc_id,
        vswitch_id=vswitch_id,
        nat_type="Enhanced",
        network_type="internet",
        payment_type="PayAsYouGo",
        internet_charge_type="PayByLcu",
        nat_gateway_name=f"{ctx.name}-nat",
        description=f"gpufleet {ctx.name}: egress for nodes without public addresses",
        tags=dict(ctx.tags),
    )


def eip_args(ctx: GroupContext) -> alicloud.ecs.EipAddressArgs:
    return alicloud.ecs.EipAddressArgs(
        address_name=f"{ctx.name}-nat",
        payment_type="PayAsYouGo",
        internet_charge_type="PayByTraffic",
        bandwidth=NAT_EIP_BANDWIDTH_MBPS,
        description=f"gpufleet {ctx.name}: NAT egress",
        tags=dict(ctx.tags),
    )


def eip_association_args(
    allocation_id: pulumi.Input[str], nat_gateway_id: pulumi.Input[str]
) -> alicloud.ecs.EipAssociationArgs:
    return alicloud.ecs.EipAssociationArgs(allocation_id=allocation_id, instance_id=nat_gateway_id, instance_type="Nat")


def snat_entry_args(
    ctx: GroupContext,
    zone: str,
    snat_table_id: pulumi.Input[str],
    vswitch_id: pulumi.Input[str],
    snat_ip: pulumi.Input[str],
) -> alicloud.vpc.SnatEntryArgs:
    """SNAT for one zone's vSwitch: its nodes leave through the NAT's EIP."""
    return alicloud.vpc.SnatEntryArgs(
        snat_table_id=snat_table_id,
        source_vswitch_id=vswitch_id,
        snat_ip=snat_ip,
        snat_entry_name=f"{ctx.name}-{zone}",
    )


def security_group_args(ctx: GroupContext, vpc_id: pulumi.Input[str]) -> alicloud.ecs.SecurityGroupArgs:
    # "Drop" isolates members unless a rule allows it, so every allowed flow is a visible
    # rule below [SDK: ecs.SecurityGroup inner_access_policy].
    return alicloud.ecs.SecurityGroupArgs(
        vpc_id=vpc_id,
        security_group_name=f"{ctx.name}-nodes",
        description=f"gpufleet {ctx.name} GPU nodes: no inbound from the internet",
        inner_access_policy="Drop",
        tags=dict(ctx.tags),
    )


def security_group_rules(
    ctx: GroupContext, security_group_id: pulumi.Input[str]
) -> list[tuple[str, alicloud.ecs.SecurityGroupRuleArgs]]:
    """(name suffix, rule) for the nodes' security group.

    - ingress from the group itself, all protocols, when ``rdma``: eRDMA and NCCL traffic
      between nodes (an ERI shares its ENI's security group rules [DOC: "ERIs"]);
    - no other ingress. Nothing gpufleet runs is reached from the network: Alibaba nodes
      report health through ``ess:SetInstanceHealth`` and push metrics through the
      CloudMonitor agent (outbound); the health endpoint (port 8787) is probed only on
      Azure. Add the rules your clients need to the group's security group
      (output ``securityGroupId``);
    - egress anywhere: package mirrors, NVIDIA repositories, Alibaba APIs.

    Never ingress from 0.0.0.0/0. ``cidr_ip`` has no default and must be explicit [SDK:
    ecs.SecurityGroupRule cidr_ip docstring]; a source group forces ``nic_type`` intranet.
    """
    rules: list[tuple[str, alicloud.ecs.SecurityGroupRuleArgs]] = []
    if ctx.group.rdma:
        rules.append(
            (
                "ingress-self",
                alicloud.ecs.SecurityGroupRuleArgs(
                    security_group_id=security_group_id,
                    type="ingress",
                    ip_protocol="all",
                    port_range="-1/-1",
                    source_security_group_id=security_group_id,
                    nic_type="intranet",
                    policy="accept",
                    priority=1,
                    description="eRDMA/NCCL between the group's nodes",
                ),
            )
        )
    rules.append(
        (
            "egress-all",
            alicloud.ecs.SecurityGroupRuleArgs(
                security_group_id=security_group_id,
                type="egress",
                ip_protocol="all",
                port_range="-1/-1",
                cidr_ip=ANYWHERE,
                nic_type="intranet",
                policy="accept",
                priority=1,
                description="outbound through the NAT gateway",
            ),
        )
    )
    return rules
