"""Pure builders for an Azure group's foundations: resource group, VNet, subnet, NSG, egress.

The NSG denies inbound traffic from the Internet explicitly and allows traffic inside
the virtual network. No rule allows inbound from ``*``, ``Internet`` or ``0.0.0.0/0``.
A created subnet is private (``defaultOutboundAccess: false``) and reaches the Internet
through a NAT gateway, which the bootstrap needs for packages and drivers. Azure is
retiring default outbound access for new networks, and Flexible scale sets never had it
[DOC: Azure Updates "Default outbound access for VMs in Azure will be retired" (date
moved to 2026-03-31); PSRule Azure.VNET.PrivateSubnet rule doc].
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import network, resources

from gpufleet.context import GroupContext

# NSG rule priorities run 100-4096; lower numbers win [pulumi-azure-native network.SecurityRuleInitArgs
# priority (100-4096)]. The explicit allow for VNet traffic wins over the Internet deny;
# Azure's own default rules (65000+) come after both.
ALLOW_VNET_PRIORITY = 100
DENY_INTERNET_PRIORITY = 4096

# Service tags [DOC: Microsoft Learn "Virtual network service tags": VirtualNetwork,
# Internet; UNVERIFIED here beyond their common use in NSG rules].
VNET_TAG = "VirtualNetwork"
INTERNET_TAG = "Internet"


def inbound_rules() -> list[network.SecurityRuleArgs]:
    """The NSG's inbound rules: allow inside the VNet, deny from the Internet."""
    return [
        network.SecurityRuleArgs(
            name="AllowVnetInbound",
            description="gpufleet: node-to-node traffic inside the virtual network",
            priority=ALLOW_VNET_PRIORITY,
            direction="Inbound",
            access="Allow",
            protocol="*",
            source_address_prefix=VNET_TAG,
            source_port_range="*",
            destination_address_prefix=VNET_TAG,
            destination_port_range="*",
        ),
        network.SecurityRuleArgs(
            name="DenyInternetInbound",
            description="gpufleet: no inbound traffic from the Internet",
            priority=DENY_INTERNET_PRIORITY,
            direction="Inbound",
            access="Deny",
            protocol="*",
            source_address_prefix=INTERNET_TAG,
            source_port_range="*",
            destination_address_prefix="*",
            destination_port_range="*",
        ),
    ]


def resource_group_args(ctx: GroupContext) -> resources.ResourceGroupArgs:
    return resources.ResourceGroupArgs(location=ctx.group.region, tags=dict(ctx.tags))


def nsg_args(ctx: GroupContext, rg_name: pulumi.Input[str]) -> network.NetworkSecurityGroupInitArgs:
    return network.NetworkSecurityGroupInitArgs(
        resource_group_name=rg_name, location=ctx.group.region, tags=dict(ctx.tags), security_rules=inbound_rules()
    )


def vnet_args(ctx: GroupContext, rg_name: pulumi.Input[str]) -> network.VirtualNetworkInitArgs:
    # Subnets are separate Subnet resources, never inline here: defining both fights over them
    # [UNVERIFIED azure-native guidance].
    return network.VirtualNetworkInitArgs(
        resource_group_name=rg_name,
        location=ctx.group.region,
        address_space=network.AddressSpaceArgs(address_prefixes=[ctx.group.network.address_space]),
        tags=dict(ctx.tags),
    )


def egress_ip_args(ctx: GroupContext, rg_name: pulumi.Input[str]) -> network.PublicIPAddressInitArgs:
    """The NAT gateway's outbound address; NAT gateways take Standard static IPs only
    [DOC: Microsoft Learn "Azure NAT Gateway resource"; UNVERIFIED here]."""
    return network.PublicIPAddressInitArgs(
        resource_group_name=rg_name,
        location=ctx.group.region,
        sku=network.PublicIPAddressSkuArgs(name="Standard"),
        public_ip_allocation_method="Static",
        tags=dict(ctx.tags),
    )


def nat_gateway_args(
    ctx: GroupContext, rg_name: pulumi.Input[str], egress_ip_id: pulumi.Input[str]
) -> network.NatGatewayInitArgs:
    return network.NatGatewayInitArgs(
        resource_group_name=rg_name,
        location=ctx.group.region,
        sku=network.NatGatewaySkuArgs(name="Standard"),
        public_ip_addresses=[network.SubResourceArgs(id=egress_ip_id)],
        tags=dict(ctx.tags),
    )


def subnet_args(
    ctx: GroupContext,
    rg_name: pulumi.Input[str],
    vnet_name: pulumi.Input[str],
    nsg_id: pulumi.Input[str],
    nat_gateway_id: pulumi.Input[str],
) -> network.SubnetInitArgs:
    # One subnet over the whole address space: Azure subnets span every zone of a region, and
    # a scale set's interface sits in one subnet.
    return network.SubnetInitArgs(
        resource_group_name=rg_name,
        virtual_network_name=vnet_name,
        address_prefix=ctx.group.network.address_space,
        default_outbound_access=False,
        network_security_group=network.NetworkSecurityGroupArgs(id=nsg_id),
        nat_gateway=network.SubResourceArgs(id=nat_gateway_id),
    )


def vnet_id_of(subnet_id: str) -> str:
    """The virtual network id of a subnet id ``.../virtualNetworks/<vnet>/subnets/<subnet>``
    (the form azure/rules.py accepts for ``network.subnetIds``)."""
    head, sep, _ = subnet_id.rpartition("/subnets/")
    if not sep:
        raise ValueError(f"not a subnet resource id: {subnet_id!r}")
    return head
