"""The group's user-assigned managed identity: what every node authenticates as (pure builder).

Flexible scale sets take no system-assigned identity: ARM answers "Allowed values are:
UserAssigned, None" [DOC: MicrosoftDocs/azure-compute-docs
virtual-machine-scale-sets-orchestration-modes.md, Managed Identity "User Assigned Identity
only" for Flexible; ARM error quoted in Azure/bicep-registry-modules#2671]. Mixed groups
without InfiniBand are Flexible, so every group gets one user-assigned identity, attached to
each of its scale sets: one model for all layouts. The metrics role is granted to it
(``autoscale.metrics_publisher_args``) and its client id reaches the node's metrics agent
(``launch.user_data``).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import compute, managedidentity

from gpufleet.context import GroupContext


def identity_args(ctx: GroupContext, rg_name: pulumi.Input[str]) -> managedidentity.UserAssignedIdentityArgs:
    """The group's identity, in the group's resource group and region."""
    return managedidentity.UserAssignedIdentityArgs(
        resource_group_name=rg_name, location=ctx.group.region, tags=dict(ctx.tags)
    )


def scale_set_identity(identity_id: pulumi.Input[str]) -> compute.VirtualMachineScaleSetIdentityArgs:
    """``UserAssigned`` with the group's identity. azure-native takes the identities as a list of
    resource ids and sends ARM's ``{id: {}}`` map [SDK: VirtualMachineScaleSetIdentityArgs.
    user_assigned_identities, a sequence of str in pulumi-azure-native 3.x]."""
    return compute.VirtualMachineScaleSetIdentityArgs(
        type=compute.ResourceIdentityType.USER_ASSIGNED, user_assigned_identities=[identity_id]
    )
