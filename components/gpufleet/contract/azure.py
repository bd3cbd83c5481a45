"""Azure contract: each azure-native resource as the ARM PUT body the provider sends, checked
against the azure-mgmt-* model classes at the API version pulumi-azure-native 3.29 uses, and
the Azure rules no model encodes.

Model packages (the ``contract`` extra) and the API versions they are read at:

- compute VirtualMachineScaleSet, ProximityPlacementGroup: azure-mgmt-compute 34.1.0,
  models ``v2024_11_01`` = the 2024-11-01 azure-native sends.
- network VirtualNetwork, Subnet, NetworkSecurityGroup, SecurityRule, NatGateway,
  PublicIPAddress: azure-mgmt-network 28.1.0 (api 2024-05-01, as sent).
- monitor AutoscaleSetting: azure-mgmt-monitor 6.0.2, models ``v2021_05_01_preview`` (as sent).
- authorization RoleAssignment: azure-mgmt-authorization 4.0.0, models ``v2022_04_01`` (as sent).
- managedidentity UserAssignedIdentity: azure-mgmt-msi 7.1.0, models ``v2024_11_30``; azure-native
  sends 2023-01-31, which no msi release ships, so this is the nearest model.
- authorization RoleDefinition (baked images' least role): azure-mgmt-authorization 4.0.0, models
  ``v2022_05_01_preview`` (as sent).
- virtualmachineimages VirtualMachineImageTemplate: azure-mgmt-imagebuilder 1.4.0 (api 2024-02-01,
  as sent); its source, customizers and distributors are polymorphic (``azure_model._resolve``).
- compute Gallery, GalleryImage: azure-native sends 2024-03-03; azure-mgmt-compute 34.1.0's newest
  gallery models are ``v2023_07_03``, the nearest model.

(azure-native API versions: the "Uses Azure REST API version" line of each resource's docstring.)
Importing this module without those packages raises ImportError, so the core reports Azure as
skipped instead of passing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from azure.mgmt.authorization.v2022_04_01 import models as authorization_models
from azure.mgmt.authorization.v2022_05_01_preview import models as roledef_models
from azure.mgmt.compute.v2023_07_03 import models as gallery_models
from azure.mgmt.compute.v2024_11_01 import models as compute_models
from azure.mgmt.imagebuilder import models as imagebuilder_models
from azure.mgmt.monitor.v2021_05_01_preview import models as monitor_models
from azure.mgmt.msi.v2024_11_30 import models as msi_models
from azure.mgmt.network import models as network_models

from gpufleet.contract import azure_model
from gpufleet.contract.base import Finding, Request, Resource, dependency_order, rule

PREFIX = "azure-native:"

MODEL_PACKAGES = (
    "azure-mgmt-compute",
    "azure-mgmt-network",
    "azure-mgmt-monitor",
    "azure-mgmt-authorization",
    "azure-mgmt-msi",
    "azure-mgmt-imagebuilder",
)
"""The distributions whose models ``model_findings`` reads (the ``contract`` extra)."""


def model_version() -> str:
    """Which model packages the Azure check used (for the plan's contract section)."""
    return ", ".join(f"{p} {metadata.version(p)}" for p in MODEL_PACKAGES)


@dataclass(frozen=True)
class _Mapping:
    operation: str
    model: type
    path_params: frozenset[str]
    """azure-native inputs that go into the request URL, not the body."""
    source: str
    renames: tuple[tuple[str, str], ...] = ()
    """(azure-native input, ARM property) where the provider renamed an ARM property."""


def _m(op: str, model: type, params: str, source: str, renames: tuple[tuple[str, str], ...] = ()) -> _Mapping:
    return _Mapping(op, model, frozenset(params.split()), source, renames)


_COMPUTE = "azure-mgmt-compute 34.1.0 models v2024_11_01"
_NETWORK = "azure-mgmt-network 28.1.0 models (api 2024-05-01)"
MAPPINGS: dict[str, _Mapping] = {
    "azure-native:compute:VirtualMachineScaleSet": _m(
        "Microsoft.Compute/virtualMachineScaleSets:PUT",
        compute_models.VirtualMachineScaleSet,
        "resourceGroupName vmScaleSetName",
        _COMPUTE,
    ),
    "azure-native:compute:ProximityPlacementGroup": _m(
        "Microsoft.Compute/proximityPlacementGroups:PUT",
        compute_models.ProximityPlacementGroup,
        "resourceGroupName proximityPlacementGroupName",
        _COMPUTE,
    ),
    "azure-native:network:VirtualNetwork": _m(
        "Microsoft.Network/virtualNetworks:PUT",
        network_models.VirtualNetwork,
        "resourceGroupName virtualNetworkName",
        _NETWORK,
    ),
    "azure-native:network:Subnet": _m(
        "Microsoft.Network/virtualNetworks/subnets:PUT",
        network_models.Subnet,
        "resourceGroupName virtualNetworkName subnetName",
        _NETWORK,
    ),
    "azure-native:network:NetworkSecurityGroup": _m(
        "Microsoft.Network/networkSecurityGroups:PUT",
        network_models.NetworkSecurityGroup,
        "resourceGroupName networkSecurityGroupName",
        _NETWORK,
    ),
    "azure-native:network:SecurityRule": _m(
        "Microsoft.Network/networkSecurityGroups/securityRules:PUT",
        network_models.SecurityRule,
        "resourceGroupName networkSecurityGroupName securityRuleName",
        _NETWORK,
    ),
    "azure-native:network:NatGateway": _m(
        "Microsoft.Network/natGateways:PUT",
        network_models.NatGateway,
        "resourceGroupName natGatewayName",
        _NETWORK,
    ),
    "azure-native:network:PublicIPAddress": _m(
        "Microsoft.Network/publicIPAddresses:PUT",
        network_models.PublicIPAddress,
        "resourceGroupName publicIpAddressName",
        _NETWORK,
    ),
    "azure-native:monitor:AutoscaleSetting": _m(
        "Microsoft.Insights/autoscalesettings:PUT",
        monitor_models.AutoscaleSettingResource,
        "resourceGroupName autoscaleSettingName",
        "azure-mgmt-monitor 6.0.2 models v2021_05_01_preview",
    ),
    "azure-native:authorization:RoleAssignment": _m(
        "Microsoft.Authorization/roleAssignments:PUT",
        authorization_models.RoleAssignmentCreateParameters,
        "scope roleAssignmentName",
        "azure-mgmt-authorization 4.0.0 models v2022_04_01",
    ),
    "azure-native:managedidentity:UserAssignedIdentity": _m(
        "Microsoft.ManagedIdentity/userAssignedIdentities:PUT",
        msi_models.Identity,
        "resourceGroupName resourceName",
        "azure-mgmt-msi 7.1.0 models v2024_11_30 (azure-native sends 2023-01-31)",
    ),
    "azure-native:authorization:RoleDefinition": _m(
        "Microsoft.Authorization/roleDefinitions:PUT",
        roledef_models.RoleDefinition,
        "scope roleDefinitionId",
        "azure-mgmt-authorization 4.0.0 models v2022_05_01_preview",
        # azure-native names ARM's properties.type "roleType" (it clashes with the resource's type output)
        (("roleType", "type"),),
    ),
    "azure-native:virtualmachineimages:VirtualMachineImageTemplate": _m(
        "Microsoft.VirtualMachineImages/imageTemplates:PUT",
        imagebuilder_models.ImageTemplate,
        "resourceGroupName imageTemplateName",
        "azure-mgmt-imagebuilder 1.4.0 models (api 2024-02-01)",
    ),
    "azure-native:compute:Gallery": _m(
        "Microsoft.Compute/galleries:PUT",
        gallery_models.Gallery,
        "resourceGroupName galleryName",
        "azure-mgmt-compute 34.1.0 models v2023_07_03 (azure-native sends 2024-03-03)",
    ),
    "azure-native:compute:GalleryImage": _m(
        "Microsoft.Compute/galleries/images:PUT",
        gallery_models.GalleryImage,
        "resourceGroupName galleryName galleryImageName",
        "azure-mgmt-compute 34.1.0 models v2023_07_03 (azure-native sends 2024-03-03)",
    ),
}

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
"""Not model-checked (azure-mgmt-resource is not in the extra): its body is the envelope only,
``location`` and ``tags``, which the tag rule still checks."""

UNMAPPED = "azure.unmapped"
VMSS_OP = MAPPINGS["azure-native:compute:VirtualMachineScaleSet"].operation
AUTOSCALE_OP = MAPPINGS["azure-native:monitor:AutoscaleSetting"].operation


def _num(value: Any) -> Any:
    """Protobuf doubles back to the integers the provider sends (2.0 -> 2; 2.5 stays 2.5)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _num(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_num(v) for v in value]
    return value


def _autoscale_maximum(resources: Sequence[Resource]) -> dict[str, int]:
    """VMSS URN -> the largest ``capacity.maximum`` of an autoscale setting that targets it."""
    out: dict[str, int] = {}
    for r in resources:
        if r.type != "azure-native:monitor:AutoscaleSetting":
            continue
        maxima = [int(float(p.get("capacity", {}).get("maximum", 0))) for p in r.inputs.get("profiles", [])]
        for dep in r.dependencies:
            if "azure-native:compute:VirtualMachineScaleSet::" in dep and maxima:
                out[dep] = max(out.get(dep, 0), *maxima)
    return out


def _identity_map(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """azure-native takes ``identity.userAssignedIdentities`` as a list of resource ids and sends
    ARM's map ``{id: {}}`` [SDK: pulumi-azure-native VirtualMachineScaleSetIdentityArgs.
    user_assigned_identities is a sequence of str; ARM: VirtualMachineScaleSetIdentity.
    userAssignedIdentities is a map]. The model walk sees what ARM receives."""
    identity = inputs.get("identity")
    if not isinstance(identity, Mapping) or not isinstance(identity.get("userAssignedIdentities"), list):
        return dict(inputs)
    ids = identity["userAssignedIdentities"]
    return {**inputs, "identity": {**identity, "userAssignedIdentities": {str(i): {} for i in ids}}}


def requests(resources: Sequence[Resource]) -> list[Request]:
    """The ARM PUT of each azure-native resource, dependencies first."""
    mine = [r for r in resources if r.type.startswith(PREFIX)]
    autoscale_max = _autoscale_maximum(mine)
    out: list[Request] = []
    for r in dependency_order(mine):
        m = MAPPINGS.get(r.type)
        inputs = _identity_map(_num(r.inputs))
        if r.type == RESOURCE_GROUP:
            body = {k: v for k, v in inputs.items() if k in ("location", "tags", "managedBy")}
            out.append(Request("azure", "Microsoft.Resources/resourceGroups:PUT", body, r.name, r.type))
            continue
        if m is None:
            out.append(Request("azure", UNMAPPED, inputs, r.name, r.type))
            continue
        renamed = dict(m.renames)
        body = azure_model.to_arm(m.model, {renamed.get(k, k): v for k, v in inputs.items() if k not in m.path_params})
        path = {k: v for k, v in inputs.items() if k in m.path_params}
        context: dict[str, Any] = {"path": path}
        if r.urn in autoscale_max:
            context["autoscaleMaximum"] = autoscale_max[r.urn]
        out.append(Request("azure", m.operation, body, r.name, r.type, context))
    return out


_BY_OPERATION = {m.operation: m for m in MAPPINGS.values()}


def model_findings(requests: Sequence[Request]) -> list[Finding]:
    """Check each ARM body against its model class (rule ``azure.model``); an azure-native type
    with no mapping is a finding too, so a new resource is never passed unchecked."""
    out: list[Finding] = []
    for req in requests:
        if req.cloud != "azure":
            continue
        if req.operation == UNMAPPED:
            out.append(
                Finding(
                    req.resource,
                    req.resource_type,
                    "(type)",
                    UNMAPPED,
                    f"no contract mapping for {req.resource_type}; add one to gpufleet.contract.azure",
                    "gpufleet.contract.azure.MAPPINGS",
                )
            )
            continue
        m = _BY_OPERATION.get(req.operation)
        if m is not None:
            out.extend(azure_model.findings(req, m.model, m.source))
    return out


# --- rules that no model encodes ---------------------------------------------------------------


@rule(
    "azure.autoscale.recurrence-one-hour-one-minute",
    "azure",
    [AUTOSCALE_OP],
    "a recurrence schedule takes exactly one hour and one minute (the model types both as a list)",
    "Azure/azure-sdk-for-python#41643 (2025-06-18, quotes ARM: 'invalid count for minutes specified. "
    "Specify only one value for minutes'); MicrosoftDocs/azure-docs#42655 'ARM for autoscale recurrence "
    "hour and minute only accepts one input'; read 2026-11-29",
)
def _one_hour_one_minute(req: Request) -> Iterator[tuple[str, str]]:
    for i, p in enumerate(req.params.get("properties", {}).get("profiles", []) or []):
        sched = (p.get("recurrence") or {}).get("schedule") or {}
        for key in ("hours", "minutes"):
            values = sched.get(key)
            if isinstance(values, list) and len(values) != 1:
                yield (
                    f"properties.profiles[{i}].recurrence.schedule.{key}",
                    f"profile {p.get('name')!r} has {len(values)} {key} {values}; ARM accepts exactly one "
                    "(use one profile per start time)",
                )


@rule(
    "azure.vmss.flexible-no-system-assigned-identity",
    "azure",
    [VMSS_OP],
    "a Flexible scale set takes only a user-assigned identity",
    "MicrosoftDocs/azure-compute-docs virtual-machine-scale-sets-orchestration-modes.md (Managed Identity: "
    "Flexible 'User Assigned Identity only'); ARM error 'The value 'SystemAssigned' of parameter 'identity' "
    "is not allowed. Allowed values are: UserAssigned, None' quoted in Azure/bicep-registry-modules#2671 "
    "(2024-07-07) and Azure/Azure-Landing-Zones#3994; read 2026-11-29",
)
def _flexible_identity(req: Request) -> Iterator[tuple[str, str]]:
    props = req.params.get("properties", {})
    kind = str((req.params.get("identity") or {}).get("type", ""))
    if str(props.get("orchestrationMode", "")).lower() == "flexible" and "systemassigned" in kind.lower().replace(
        " ", ""
    ):
        yield "identity.type", f"{kind!r} on a Flexible scale set; ARM allows UserAssigned or None"


TRUSTED_LAUNCH_UNSUPPORTED = (
    re.compile(r"^Standard_ND\d+asr_v4$", re.I),  # NDasrA100_v4
    re.compile(r"^Standard_ND\d+amsr_A100_v4$", re.I),  # NDm_A100_v4
    re.compile(r"^Standard_N[CVP]\d+r?(_Promo)?$", re.I),  # NC-, NV-, NP-series (Gen1 only)
)
"""Sizes Trusted Launch does not support (trusted-launch.md, GPU row). Written out here rather
than imported from gpufleet.azure.security so the rule does not share the builder's decision."""


@rule(
    "azure.vmss.trusted-launch-size",
    "azure",
    [VMSS_OP],
    "securityType TrustedLaunch only on a VM size that supports it",
    "MicrosoftDocs/azure-compute-docs articles/virtual-machines/trusted-launch.md (ms.date 2025-04-21), GPU row: "
    "NDasrA100_v4 and NDm_A100_v4 'currently not supported', NC/NV/NP series 'not supported'; ARM error 'The VM "
    "size ... is not supported for creation of VMs and Virtual Machine Scale Set with 'TrustedLaunch' security "
    "type' quoted in Azure/azure-cli#28005; read 2026-11-29",
)
def _trusted_launch_size(req: Request) -> Iterator[tuple[str, str]]:
    profile = ((req.params.get("properties") or {}).get("virtualMachineProfile") or {}).get("securityProfile") or {}
    size = str((req.params.get("sku") or {}).get("name", ""))
    if str(profile.get("securityType", "")).lower() == "trustedlaunch" and any(
        p.match(size) for p in TRUSTED_LAUNCH_UNSUPPORTED
    ):
        yield (
            "properties.virtualMachineProfile.securityProfile.securityType",
            f"TrustedLaunch on {size}, a size Trusted Launch does not support; leave securityType unset (Standard)",
        )


SINGLE_PLACEMENT_GROUP_MAX = 100
"""HPC sizes doc: a single placement group holds 100 VMs by default, 300 via a support request."""


@rule(
    "azure.vmss.single-placement-group-100",
    "azure",
    [VMSS_OP],
    "a scale set in a single placement group holds at most 100 VMs (300 after a support request)",
    "MicrosoftDocs/azure-compute-docs sizes-hpc ('100 VMs by default ... can be increased to 300' via "
    "support request) and the scale-set placement-groups doc; read 2026-11-29",
)
def _single_placement_group(req: Request) -> Iterator[tuple[str, str]]:
    props = req.params.get("properties", {})
    single = props.get("singlePlacementGroup")
    # Uniform sets default to a single placement group when the flag is absent (placement-groups doc)
    if single is False or (single is None and str(props.get("orchestrationMode", "Uniform")).lower() == "flexible"):
        return
    capacity = _int((req.params.get("sku") or {}).get("capacity"))
    if capacity > SINGLE_PLACEMENT_GROUP_MAX:
        yield (
            "sku.capacity",
            f"{capacity} VMs in a single placement group; at most {SINGLE_PLACEMENT_GROUP_MAX} by default (300 "
            "after a support request)",
        )
    most = _int(req.context.get("autoscaleMaximum"))
    if most > SINGLE_PLACEMENT_GROUP_MAX:
        yield (
            "sku.capacity",
            f"autoscale may grow this single-placement-group set to {most} VMs; "
            f"at most {SINGLE_PLACEMENT_GROUP_MAX} by "
            "default (300 after a support request)",
        )


def _int(value: Any) -> int:
    """A count as a number; a wrong type is the model check's finding, not a crash here."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


MAX_TAGS = 50


@rule(
    "azure.tags.max-50",
    "azure",
    [*(m.operation for m in MAPPINGS.values()), "Microsoft.Resources/resourceGroups:PUT"],
    "at most 50 tags per resource",
    "learn.microsoft.com/rest/api/resources/tags/createorupdateatscope ('can have a maximum of 50 tags') "
    "and azure-resource-manager/management/tag-resources#limitations; read 2026-11-29",
)
def _max_tags(req: Request) -> Iterator[tuple[str, str]]:
    tags = req.params.get("tags")
    if isinstance(tags, Mapping) and len(tags) > MAX_TAGS:
        yield "tags", f"{len(tags)} tags; Azure allows at most {MAX_TAGS} per resource"


GALLERY_NAME_RE = re.compile(r"^[A-Za-z0-9]+([._][A-Za-z0-9]+)*$")


@rule(
    "azure.gallery.name-characters",
    "azure",
    ["Microsoft.Compute/galleries:PUT", "Microsoft.Compute/galleries/images:PUT"],
    "a gallery name has letters, digits, dots and underscores only (no hyphen), at most 80 characters",
    "learn.microsoft.com/azure/virtual-machines/azure-compute-gallery (gallery name: letters, digits, dots and "
    "underscores; no dashes) and azure-resource-manager/management/resource-name-rules (galleries: 1-80 characters; "
    "the 80 is UNVERIFIED here); read 2026-11-29",
)
def _gallery_name(req: Request) -> Iterator[tuple[str, str]]:
    name = (req.context.get("path") or {}).get("galleryName")
    if isinstance(name, str) and (len(name) > 80 or not GALLERY_NAME_RE.match(name)):
        yield "galleryName", f"{name!r}: a gallery name takes letters, digits, '.' and '_' only, 1-80 characters"
