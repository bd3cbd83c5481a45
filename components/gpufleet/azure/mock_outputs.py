"""Mock outputs for Azure resource types: what the provider computes on create.

``FleetMocks`` echoes the inputs and gives each resource an Azure-shaped id; these
functions add the computed fields that programs read back (``name``, the scale set's
``uniqueId`` and identity, a public IP's address), shaped like the real responses.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pulumi

OutputFn = Callable[[pulumi.runtime.MockResourceArgs, str], dict[str, Any]]


def _uuid(*parts: str) -> str:
    """A deterministic UUID, so repeated runs give the same outputs."""
    return str(uuid.UUID(hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]))


def _named(name_input: str) -> OutputFn:
    """Azure-native autonames as ``<logical name><random suffix>`` unless the name input is set."""

    def fn(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
        explicit = args.inputs.get(name_input)
        suffix = hashlib.sha256(rid.encode()).hexdigest()[:8]
        return {"name": explicit or f"{args.name}{suffix}"}

    return fn


def _scale_set(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    out = _named("vmScaleSetName")(args, rid)
    out["uniqueId"] = _uuid("uniqueId", rid)
    out["provisioningState"] = "Succeeded"
    identity = args.inputs.get("identity")
    if isinstance(identity, dict) and identity.get("type") == "SystemAssigned":
        out["identity"] = {
            "type": "SystemAssigned",
            "principalId": _uuid("principal", rid),
            "tenantId": "00000000-0000-0000-0000-000000000000",
        }
    if isinstance(identity, dict) and identity.get("type") == "UserAssigned":
        # The response maps each identity id to its principal and client ids.
        ids = identity.get("userAssignedIdentities") or []
        out["identity"] = {
            "type": "UserAssigned",
            "userAssignedIdentities": {
                i: {"principalId": _uuid("principal", i), "clientId": _uuid("clientId", i)} for i in ids
            },
        }
    return out


def _user_assigned_identity(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    out = _named("resourceName")(args, rid)
    out["clientId"] = _uuid("clientId", rid)
    out["principalId"] = _uuid("principal", rid)
    out["tenantId"] = "00000000-0000-0000-0000-000000000000"
    return out


def _image_template(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    """The response maps each user-assigned identity id to its ids, as for a scale set."""
    out = _named("imageTemplateName")(args, rid)
    identity = args.inputs.get("identity")
    if isinstance(identity, dict):
        ids = identity.get("userAssignedIdentities") or []
        users = {i: {"principalId": _uuid("principal", i), "clientId": _uuid("clientId", i)} for i in ids}
        out["identity"] = {"type": identity.get("type", "UserAssigned"), "userAssignedIdentities": users}
    out["provisioningState"] = "Succeeded"
    return out


def _public_ip(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    out = _named("publicIpAddressName")(args, rid)
    digest = hashlib.sha256(rid.encode()).digest()
    out["ipAddress"] = f"20.{digest[0]}.{digest[1]}.{digest[2] or 1}"  # 20.0.0.0/8 is an Azure public range
    return out


def _role_assignment(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"name": _uuid("roleAssignment", rid), "principalType": args.inputs.get("principalType", "")}


OUTPUTS: dict[str, OutputFn] = {
    "azure-native:resources:ResourceGroup": _named("resourceGroupName"),
    "azure-native:network:VirtualNetwork": _named("virtualNetworkName"),
    "azure-native:network:Subnet": _named("subnetName"),
    "azure-native:network:NetworkSecurityGroup": _named("networkSecurityGroupName"),
    "azure-native:network:NatGateway": _named("natGatewayName"),
    "azure-native:network:PublicIPAddress": _public_ip,
    "azure-native:compute:ProximityPlacementGroup": _named("proximityPlacementGroupName"),
    "azure-native:compute:VirtualMachineScaleSet": _scale_set,
    "azure-native:monitor:AutoscaleSetting": _named("autoscaleSettingName"),
    "azure-native:authorization:RoleAssignment": _role_assignment,
    "azure-native:managedidentity:UserAssignedIdentity": _user_assigned_identity,
    # Baked images (gpufleet.imagebuild.azure)
    "azure-native:compute:Gallery": _named("galleryName"),
    "azure-native:compute:GalleryImage": _named("galleryImageName"),
    "azure-native:authorization:RoleDefinition": _named("roleDefinitionId"),
    "azure-native:virtualmachineimages:VirtualMachineImageTemplate": _image_template,
}
