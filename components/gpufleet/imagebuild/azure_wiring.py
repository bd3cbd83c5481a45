"""The Azure half of ``GpuImage``: wires the resources of :mod:`gpufleet.imagebuild.azure`.

Kept apart from ``component.py`` so each cloud's wiring is its own small module.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_azure_native as azure

from gpufleet.imagebuild import azure as azb
from gpufleet.imagebuild.script import BuildBundle
from gpufleet.spec import GpuImageSpec


def wire(
    name: str,
    img: GpuImageSpec,
    fleet: str,
    fleet_tags: Mapping[str, str],
    bundle: BuildBundle,
    child: pulumi.ResourceOptions,
) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
    """Create the gallery, identity, role and template; return (image definition id, template name).

    The image definition id is what groups boot (the latest version; docs/images.md).
    """
    tags = azb.tags(img, fleet, fleet_tags)
    rg = azure.resources.ResourceGroup(f"{name}-rg", azb.resource_group_args(img, fleet, tags), opts=child)
    gallery = azure.compute.Gallery(f"{name}-gallery", azb.gallery_args(img, fleet, rg.name, tags), opts=child)
    definition = azure.compute.GalleryImage(
        f"{name}-definition", azb.gallery_image_args(img, fleet, rg.name, gallery.name, tags), opts=child
    )
    identity = azure.managedidentity.UserAssignedIdentity(
        f"{name}-builder", azb.identity_args(img, rg.name, tags), opts=child
    )
    vnet = azb.vnet_of(img.builder.subnet_id)
    role = azure.authorization.RoleDefinition(
        f"{name}-builder-role", azb.role_definition_args(img, fleet, rg.id, vnet), opts=child
    )
    grants = [
        azure.authorization.RoleAssignment(
            f"{name}-builder-{where}", azb.role_assignment_args(scope, role.id, identity.principal_id), opts=child
        )
        for where, scope in (("gallery", rg.id), ("vnet", vnet))
    ]
    template = azure.virtualmachineimages.VirtualMachineImageTemplate(
        f"{name}-template",
        azb.template_args(img, fleet, rg.name, identity.id, definition.id, bundle, tags),
        # autoRun starts the build at creation: the identity must hold its role by then. Any
        # change replaces the template (a new build), rather than relying on an in-place update
        # of a template (whether ARM allows one at 2024-02-01 is UNVERIFIED; docs/images.md).
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=grants, replace_on_changes=["*"])),
    )
    return definition.id, template.name
