"""AzureGpuGroup: one Azure group's resources, wired together. Decisions live in the builders.

``GpuFleet`` calls :func:`provider` once per region and :func:`build` once per group.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import authorization, compute, managedidentity, monitor, network, resources

from gpufleet.azure import autoscale, identity, launch, layout, vmss
from gpufleet.azure import network as net
from gpufleet.azure.image import image_for
from gpufleet.context import GroupContext
from gpufleet.group import GroupArgs, common_outputs

COMPONENT_TYPE = "gpufleet:azure:AzureGpuGroup"


def provider(name: str, region: str, opts: pulumi.ResourceOptions) -> pulumi.ProviderResource:
    """An explicit provider per region, so no resource depends on ambient config."""
    return azure_native.Provider(name, location=region, opts=opts)


def build(
    ctx: GroupContext,
    provider: pulumi.ProviderResource,
    opts: pulumi.ResourceOptions,
    baked_image_id: pulumi.Input[str] | None = None,
) -> AzureGpuGroup:
    return AzureGpuGroup(ctx.name, GroupArgs(ctx, provider, baked_image_id), opts)


class AzureGpuGroup(pulumi.ComponentResource):
    """The scale set(s) of one Azure group with their network, placement and autoscaling."""

    resource_group_name: pulumi.Output[str]
    """The resource group that holds the group's resources (created, or the spec's)."""
    network_security_group: network.NetworkSecurityGroup
    """The NSG: VNet traffic allowed, Internet inbound denied."""
    subnet_id: pulumi.Output[str]
    """The subnet the nodes sit in (created, or the spec's)."""
    proximity_placement_group: compute.ProximityPlacementGroup | None
    """The InfiniBand group's proximity placement group; None without RDMA."""
    identity: managedidentity.UserAssignedIdentity
    """The group's user-assigned identity, attached to every scale set of the group."""
    scale_sets: dict[str, compute.VirtualMachineScaleSet]
    """Scale sets by role: ``main``, or ``regular`` and ``spot`` for a mixed InfiniBand group."""
    autoscale_setting: monitor.AutoscaleSetting | None
    """The autoscale setting of the autoscaled scale set; None for a fixed-size group (min = max)
    without autoscaling."""
    outputs: dict[str, Any]
    """What the component registers (and GpuFleet exports)."""

    def __init__(self, name: str, args: GroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ctx, provider = args.context, args.provider
        super().__init__(
            COMPONENT_TYPE,
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers={"azure-native": provider})),
        )
        # Every child names its provider, as on AWS, rather than inheriting it from this component.
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        group = ctx.group

        # Foundations: resource group, NSG, and a private network with NAT egress (or the spec's subnet).
        if group.network.resource_group is not None:
            self.resource_group_name = pulumi.Output.from_input(group.network.resource_group)
        else:
            rg = resources.ResourceGroup(f"{name}-rg", net.resource_group_args(ctx), opts=child)
            self.resource_group_name = rg.name
        rg_name = self.resource_group_name
        self.network_security_group = network.NetworkSecurityGroup(
            f"{name}-nsg", net.nsg_args(ctx, rg_name), opts=child
        )
        nic_nsg_id: pulumi.Output[str] | None = None
        network_id: pulumi.Input[str]
        if group.network.create:
            egress_ip = network.PublicIPAddress(f"{name}-egress-ip", net.egress_ip_args(ctx, rg_name), opts=child)
            nat = network.NatGateway(f"{name}-nat", net.nat_gateway_args(ctx, rg_name, egress_ip.id), opts=child)
            vnet = network.VirtualNetwork(f"{name}-vnet", net.vnet_args(ctx, rg_name), opts=child)
            subnet = network.Subnet(
                f"{name}-subnet",
                net.subnet_args(ctx, rg_name, vnet.name, self.network_security_group.id, nat.id),
                opts=child,
            )
            self.subnet_id = subnet.id
            network_id = vnet.id
        else:
            assert group.network.subnet_ids  # NetworkSpec requires subnetIds without create
            self.subnet_id = pulumi.Output.from_input(group.network.subnet_ids[0])
            network_id = net.vnet_id_of(group.network.subnet_ids[0])
            # A subnet we did not create keeps whatever NSG it has; ours goes on the NIC as well.
            nic_nsg_id = self.network_security_group.id

        self.proximity_placement_group = None
        if group.rdma:
            self.proximity_placement_group = compute.ProximityPlacementGroup(
                f"{name}-ppg", vmss.proximity_placement_group_args(ctx, rg_name), opts=child
            )
        ppg_id = self.proximity_placement_group.id if self.proximity_placement_group is not None else None

        image = image_for(ctx, args.baked_image_id)
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity", identity.identity_args(ctx, rg_name), opts=child
        )
        custom_data = self.identity.client_id.apply(lambda client_id: launch.user_data(ctx, image, client_id))

        # Scale sets. Where an autoscaler owns capacity, Pulumi ignores it after creation; elsewhere
        # (the fixed '-regular' base of a mixed IB group, groups without rules or schedules) a change
        # of the spec's counts must reach Azure. Replace by deleting first, since GPU quota rarely
        # covers old and new side by side.
        self.scale_sets = {}
        plans = layout.scale_sets(group)
        for plan in plans:
            ignore = ["sku.capacity"] if plan.autoscaled and autoscale.owns_capacity(group) else []
            self.scale_sets[plan.role] = compute.VirtualMachineScaleSet(
                f"{name}{plan.suffix()}-vmss",
                vmss.scale_set_args(
                    ctx,
                    plan,
                    image=image,
                    custom_data=custom_data,
                    identity_id=self.identity.id,
                    rg_name=rg_name,
                    subnet_id=self.subnet_id,
                    nic_nsg_id=nic_nsg_id,
                    ppg_id=ppg_id,
                ),
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(ignore_changes=ignore, delete_before_replace=True)
                ),
            )
        autoscaled = next(p for p in plans if p.autoscaled)
        target_set = self.scale_sets[autoscaled.role]

        self.autoscale_setting = None
        scaling = group.autoscaling
        if autoscale.needs_setting(group):
            self.autoscale_setting = monitor.AutoscaleSetting(
                f"{name}-autoscale",
                autoscale.autoscale_setting_args(ctx, autoscaled, scale_set_id=target_set.id, rg_name=rg_name),
                opts=child,
            )
        if scaling is not None and scaling.gpu_utilization_target is not None:
            # Each node writes the GPU metric onto its own scale set with the group's identity.
            for plan in plans:
                authorization.RoleAssignment(
                    f"{name}{plan.suffix()}-metrics-publisher",
                    autoscale.metrics_publisher_args(self.scale_sets[plan.role].id, self.identity.principal_id),
                    opts=child,
                )

        self.outputs = {
            **common_outputs(
                ctx,
                group_id=target_set.id,
                group_name=target_set.name,
                network_id=network_id,
                subnet_ids=[self.subnet_id],
                security_group_id=self.network_security_group.id,
            ),
            "resourceGroupName": self.resource_group_name,
            "scaleSetId": target_set.id,
            "scaleSetName": target_set.name,
            "scaleSets": {role: {"id": s.id, "name": s.name} for role, s in self.scale_sets.items()},
            "networkSecurityGroupId": self.network_security_group.id,
            "subnetId": self.subnet_id,
        }
        if self.proximity_placement_group is not None:
            self.outputs["proximityPlacementGroupId"] = self.proximity_placement_group.id
        if self.autoscale_setting is not None:
            self.outputs["autoscaleSettingId"] = self.autoscale_setting.id
        self.register_outputs(self.outputs)
