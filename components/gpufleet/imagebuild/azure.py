"""Azure VM Image Builder resources of one baked image: pure builders (spec -> Args).

A build is: a resource group -> an Azure Compute Gallery and an image definition (Linux,
generalized, Gen2) -> a user-assigned identity holding a custom role with only the gallery
actions VM Image Builder documents, assigned on that resource group -> an image template (source
= the base image, one Shell customizer that unpacks the build bundle and runs ``gpufleet-build``,
distribute = a new version of the image definition in every image region), with ``autoRun``
Enabled so Image Builder starts the build when the template is created or replaced [DOC:
learn.microsoft.com/javascript/api/@azure/arm-imagebuilder/imagetemplateproperties, autoRun:
"Indicates whether or not to automatically run the image template build on template creation or
update"].

The build is asynchronous: ``pulumi up`` does not wait for it. Groups reference the image
definition's resource id, which a scale set resolves to the latest version [SDK: azure-mgmt-compute
34.1.0 ImageReference.version docstring: "to use 'latest' version of gallery image, just set
'/subscriptions/.../galleries/{galleryName}/images/{imageName}' in the 'id' field without version
input"], so the first version must exist before a group boots it: see ``images[].published`` and
docs/images.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import pulumi
import pulumi_azure_native as azure

from gpufleet.azure.image import RESOURCE_ID_RE
from gpufleet.bootstrap.images import build_base_image
from gpufleet.imagebuild.cost import BUILD_HOURS_TAG
from gpufleet.imagebuild.script import BUILD_SCRIPT, BuildBundle
from gpufleet.spec import GpuImageSpec

GALLERY_ROLE_ACTIONS = (
    "Microsoft.Compute/galleries/read",
    "Microsoft.Compute/galleries/images/read",
    "Microsoft.Compute/galleries/images/versions/read",
    "Microsoft.Compute/galleries/images/versions/write",
    "Microsoft.Compute/images/write",
    "Microsoft.Compute/images/read",
    "Microsoft.Compute/images/delete",
)
"""What VM Image Builder's identity needs to distribute to a gallery [DOC: learn.microsoft.com/
azure/virtual-machines/linux/image-builder-permissions-cli, "Allow VM Image Builder to distribute
images", custom role "Azure Image Builder Service Image Creation Role"]."""

VNET_ROLE_ACTIONS = (
    "Microsoft.Network/virtualNetworks/read",
    "Microsoft.Network/virtualNetworks/subnets/join/action",
)
"""What it needs to put the build VM in your subnet [same page, "Permission to customize images
on your virtual networks"]. Granted on the subnet's virtual network only."""

OS_DISK_GIB = 100
"""Build VM OS disk, which becomes the image's OS disk size: as AWS (imagebuild.aws.ROOT_VOLUME_GIB),
a choice; the driver, CUDA and DCGM take a few GB."""

STAGING = "/var/tmp/gpufleet-build.b64"
CHUNK = 8000
"""Base64 characters per inline command (a choice: no per-command limit is documented; UNVERIFIED)."""

MAX_BUILD_MINUTES = 960
"""``buildTimeoutInMinutes`` maximum (azure-mgmt-imagebuilder 1.4.0 ImageTemplate._validation:
maximum 960; 0 or unset means the 4-hour default per the same model's docstring)."""


def tags(image: GpuImageSpec, fleet: str, fleet_tags: Mapping[str, str]) -> dict[str, str]:
    """Fleet tags, then the image's, then gpufleet's bookkeeping tags."""
    return {**fleet_tags, **image.tags, "gpufleet-fleet": fleet, "gpufleet-image": image.name}


def gallery_name(fleet: str) -> str:
    """A gallery name takes letters, digits, '.' and '_', no hyphen (contract rule
    ``azure.gallery.name-characters``); fleet names may have hyphens."""
    return f"{fleet.replace('-', '_')}_images"


def resource_group_args(
    image: GpuImageSpec, fleet: str, tag_map: Mapping[str, str]
) -> azure.resources.ResourceGroupArgs:
    return azure.resources.ResourceGroupArgs(
        resource_group_name=f"{fleet}-{image.name}-images", location=image.region, tags=dict(tag_map)
    )


def gallery_args(
    image: GpuImageSpec, fleet: str, rg: pulumi.Input[str], tag_map: Mapping[str, str]
) -> azure.compute.GalleryArgs:
    return azure.compute.GalleryArgs(
        resource_group_name=rg,
        gallery_name=gallery_name(f"{fleet}-{image.name}"),
        location=image.region,
        description=f"gpufleet {fleet}: baked GPU images",
        tags=dict(tag_map),
    )


def gallery_image_args(
    image: GpuImageSpec, fleet: str, rg: pulumi.Input[str], gallery: pulumi.Input[str], tag_map: Mapping[str, str]
) -> azure.compute.GalleryImageArgs:
    """A Linux, generalized (Image Builder deprovisions the VM), Gen2 definition: the base
    Ubuntu SKUs gpufleet builds from are Gen2 (``22_04-lts-gen2``; gpufleet.bootstrap.images)."""
    return azure.compute.GalleryImageArgs(
        resource_group_name=rg,
        gallery_name=gallery,
        gallery_image_name=image.name,
        location=image.region,
        os_type=azure.compute.OperatingSystemTypes.LINUX,
        os_state=azure.compute.OperatingSystemStateTypes.GENERALIZED,
        hyper_v_generation=azure.compute.HyperVGeneration.V2,
        architecture=azure.compute.Architecture.X64,
        identifier=azure.compute.GalleryImageIdentifierArgs(publisher="gpufleet", offer=fleet, sku=image.name),
        description=f"gpufleet image {image.name} (driver R{image.bootstrap.driver}, {image.bootstrap.os})",
        tags={**tag_map, **stack_tags(image)},
    )


def stack_tags(image: GpuImageSpec) -> dict[str, str]:
    """The recorded stack, on the image definition, readable by an operator."""
    b = image.bootstrap
    return {"gpufleet-driver": b.driver, "gpufleet-cuda": b.cuda or "none", "gpufleet-os": b.os}


def identity_args(
    image: GpuImageSpec, rg: pulumi.Input[str], tag_map: Mapping[str, str]
) -> azure.managedidentity.UserAssignedIdentityArgs:
    """Autonamed (the SDK's ``resource_name`` clashes with the resource's own name argument)."""
    return azure.managedidentity.UserAssignedIdentityArgs(
        resource_group_name=rg, location=image.region, tags=dict(tag_map)
    )


def role_actions(image: GpuImageSpec) -> tuple[str, ...]:
    """Gallery actions, plus the subnet join when the build VM runs in your subnet (always in
    gpufleet: ``builder.subnetId`` is required)."""
    return GALLERY_ROLE_ACTIONS + VNET_ROLE_ACTIONS


def subscription_scope(resource_id: str) -> str:
    """``/subscriptions/<id>`` of a resource id."""
    parts = resource_id.split("/")
    if len(parts) < 3 or parts[1].lower() != "subscriptions" or not parts[2]:
        raise ValueError(f"not an ARM resource id: {resource_id!r}")
    return f"/subscriptions/{parts[2]}"


def role_definition_args(
    image: GpuImageSpec, fleet: str, scope: pulumi.Input[str], vnet_scope: str
) -> azure.authorization.RoleDefinitionArgs:
    """A custom role, created in the builder subnet's subscription and assignable on the image
    resource group and the subnet's virtual network only. Its id is a name-based UUID, so a
    re-run names the same role [ARM: role definition ids are GUIDs]."""
    return azure.authorization.RoleDefinitionArgs(
        scope=subscription_scope(vnet_scope),
        role_definition_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"gpufleet/{fleet}/{image.name}/image-builder")),
        role_name=f"{fleet}-{image.name} image builder",
        description="gpufleet: what Azure VM Image Builder needs to distribute to the fleet's gallery",
        role_type="CustomRole",
        permissions=[azure.authorization.PermissionArgs(actions=list(role_actions(image)))],
        assignable_scopes=[scope, vnet_scope],
    )


def vnet_of(subnet_id: str) -> str:
    """The virtual network id of a subnet id (``.../virtualNetworks/<v>/subnets/<s>``)."""
    head, sep, _ = subnet_id.partition("/subnets/")
    if not sep or "/virtualNetworks/" not in head:
        raise ValueError(f"not a subnet resource id: {subnet_id!r}")
    return head


def role_assignment_args(
    scope: pulumi.Input[str], role_definition_id: pulumi.Input[str], principal_id: pulumi.Input[str]
) -> azure.authorization.RoleAssignmentArgs:
    return azure.authorization.RoleAssignmentArgs(
        scope=scope,
        role_definition_id=role_definition_id,
        principal_id=principal_id,
        principal_type=azure.authorization.PrincipalType.SERVICE_PRINCIPAL,
    )


def source(
    image: GpuImageSpec,
) -> (
    azure.virtualmachineimages.ImageTemplatePlatformImageSourceArgs
    | (azure.virtualmachineimages.ImageTemplateSharedImageVersionSourceArgs)
    | azure.virtualmachineimages.ImageTemplateManagedImageSourceArgs
):
    """The base image: a marketplace URN -> PlatformImage; a gallery image version id ->
    SharedImageVersion; a managed image id -> ManagedImage [DOC: image-builder-json, "source"]."""
    base = build_base_image(image)
    if RESOURCE_ID_RE.match(base.ref):
        if "/galleries/" in base.ref.lower():
            return azure.virtualmachineimages.ImageTemplateSharedImageVersionSourceArgs(
                type="SharedImageVersion", image_version_id=base.ref
            )
        return azure.virtualmachineimages.ImageTemplateManagedImageSourceArgs(type="ManagedImage", image_id=base.ref)
    publisher, offer, sku, version = base.ref.split(":")
    return azure.virtualmachineimages.ImageTemplatePlatformImageSourceArgs(
        type="PlatformImage", publisher=publisher, offer=offer, sku=sku, version=version
    )


def build_commands(bundle: BuildBundle) -> list[str]:
    """Inline Shell commands: stage the bundle in chunks, unpack it, run the build."""
    chunks = [bundle.b64[i : i + CHUNK] for i in range(0, len(bundle.b64), CHUNK)]
    out = [f"printf '%s' '{c}' {'>' if i == 0 else '>>'} {STAGING}" for i, c in enumerate(chunks)]
    # Shell customizers need sudo for root [DOC: learn.microsoft.com/azure/virtual-machines/linux/
    # image-builder-json, Shell customizer; wording UNVERIFIED here]; sudo as root is harmless.
    return [*out, f"sudo sh -c 'base64 -d {STAGING} | tar -xz -C /'", f"rm -f {STAGING}", f"sudo {BUILD_SCRIPT}"]


def build_timeout_minutes(image: GpuImageSpec) -> int:
    """The assumed hours plus one hour, at most the API's 960."""
    return min(MAX_BUILD_MINUTES, round(image.builder.hours * 60) + 60)


def template_args(
    image: GpuImageSpec,
    fleet: str,
    rg: pulumi.Input[str],
    identity_id: pulumi.Input[str],
    gallery_image_id: pulumi.Input[str],
    bundle: BuildBundle,
    tag_map: Mapping[str, str],
) -> azure.virtualmachineimages.VirtualMachineImageTemplateArgs:
    return azure.virtualmachineimages.VirtualMachineImageTemplateArgs(
        resource_group_name=rg,
        location=image.region,
        identity=azure.virtualmachineimages.ImageTemplateIdentityArgs(
            type=azure.virtualmachineimages.ResourceIdentityType.USER_ASSIGNED, user_assigned_identities=[identity_id]
        ),
        source=source(image),
        customize=[
            azure.virtualmachineimages.ImageTemplateShellCustomizerArgs(
                type="Shell", name="gpufleet-build", inline=build_commands(bundle)
            )
        ],
        distribute=[
            azure.virtualmachineimages.ImageTemplateSharedImageDistributorArgs(
                type="SharedImage",
                gallery_image_id=gallery_image_id,
                run_output_name=f"{fleet}-{image.name}",
                target_regions=[
                    azure.virtualmachineimages.TargetRegionArgs(name=r, replica_count=1) for r in image.all_regions
                ],
                versioning=azure.virtualmachineimages.DistributeVersionerLatestArgs(scheme="Latest"),
                artifact_tags={**tag_map, **stack_tags(image)},
            )
        ],
        vm_profile=azure.virtualmachineimages.ImageTemplateVmProfileArgs(
            vm_size=image.builder.instance_type,
            os_disk_size_gb=OS_DISK_GIB,
            # No public IP: "If you specify a virtual network, VM Image Builder doesn't use a public
            # IP address" [DOC: learn.microsoft.com/azure/virtual-machines/linux/image-builder-networking].
            vnet_config=azure.virtualmachineimages.VirtualNetworkConfigArgs(subnet_id=image.builder.subnet_id),
        ),
        build_timeout_in_minutes=build_timeout_minutes(image),
        auto_run=azure.virtualmachineimages.ImageTemplateAutoRunArgs(
            state=azure.virtualmachineimages.AutoRunState.AUTO_RUN_ENABLED
        ),
        tags={**tag_map, BUILD_HOURS_TAG: f"{image.builder.hours:g}"},
        # "Tags that will be applied to the resource group and/or resources created by the
        # service" [DOC: @azure/arm-imagebuilder ImageTemplateProperties.managedResourceTags]:
        # the build VM and its disks carry the fleet and image.
        managed_resource_tags=dict(tag_map),
    )
