"""Pure builders for an Azure GPU scale set and its proximity placement group."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import compute

from gpufleet.azure.identity import scale_set_identity
from gpufleet.azure.image import AzureImage
from gpufleet.azure.layout import ScaleSetPlan
from gpufleet.azure.names import computer_name_prefix, scale_set_name
from gpufleet.azure.security import security_profile
from gpufleet.bootstrap import health
from gpufleet.context import GroupContext
from gpufleet.pricing import spot_caps
from gpufleet.resolve import ResolvedGroup
from gpufleet.spec import AccessSpec

# The bootstrap's health endpoint on every node (plain HTTP on localhost) is defined once, in
# gpufleet.bootstrap.health (HEALTH_PORT, HEALTH_PATH, HEALTH_PROTOCOL), which owns the node side.

# Application Health extension, Rich Health States (2.0) [DOC: MicrosoftDocs/azure-compute-docs
# virtual-machine-scale-sets-health-extension.md]. The endpoint answers 2xx with
# {"ApplicationHealthState": "Healthy"|"Unhealthy"}, and on Azure also 200 for unhealthy, so
# Binary states (1.0, "200 = healthy") would miss a sick node. While the node bootstraps it
# answers 503, which keeps the instance "Initializing" (no repairs; rolling upgrades wait)
# until the grace period ends.
HEALTH_EXTENSION = {"publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux", "version": "2.0"}
# intervalInSeconds 5-60, numberOfProbes 1-24, gracePeriod up to 14400 s [same doc]. A state
# flips after 3 x 10 s. Grace: the bootstrap gives up after its deadline
# (health.BOOTSTRAP_DEADLINE_MINUTES, 60) and then reports unhealthy itself; 10 more minutes
# leave it room to say so.
HEALTH_INTERVAL_SECONDS = 10
HEALTH_PROBES = 3
HEALTH_GRACE_SECONDS = (health.BOOTSTRAP_DEADLINE_MINUTES + 10) * 60

# Rolling upgrades move model changes (image, cloud-init) through the set in batches
# and stop when too many upgraded nodes turn unhealthy. Defaults are 20/20/20/PT0S; the
# pause gives GPU nodes time to finish their boot checks between batches [DOC:
# azure-compute-docs virtual-machine-scale-sets-configure-rolling-upgrades.md; infra-facts 5g].
ROLLING_MAX_BATCH_PERCENT = 20
ROLLING_MAX_UNHEALTHY_PERCENT = 20
ROLLING_MAX_UNHEALTHY_UPGRADED_PERCENT = 20
ROLLING_PAUSE = "PT2M"
# maxUnhealthyInstancePercent takes 5-100 [SDK: RollingUpgradePolicy _validation in
# azure-mgmt-compute v2024_11_01; the contract model walk checks it].
ROLLING_PERCENT_MAX = 100

# Automatic repairs replace a node the health extension reports Unhealthy or Unknown (never
# Initializing), after a grace period of 10-90 minutes (default 10) that "starts after the state
# change has completed" (create, reimage, ...) [DOC: azure-compute-docs
# virtual-machine-scale-sets-automatic-instance-repairs.md; SDK: AutomaticRepairsPolicy.
# grace_period docstring]. The extension's Initializing window (HEALTH_GRACE_SECONDS) already
# covers the boot, so the repair grace is the minimum: whether Azure counts it from the end of
# the create or from the end of Initializing (UNVERIFIED), a node that never turns healthy is
# repaired 70 to 80 minutes after it boots (docs/azure.md).
REPAIR_GRACE_PERIOD = "PT10M"

# Spot try-and-restore; PT1H as in the REST spec example "CreateAScaleSetWithSpotRestorePolicy"
# (allowed range UNVERIFIED). Azure disables it in scale sets that use autoscale [DOC:
# azure-docs virtual-machine-scale-sets-use-spot.md, "Try & restore"].
SPOT_RESTORE_TIMEOUT = "PT1H"

# Flexible orchestration needs a network API version for VM-managed NICs (2020-11-01 is the
# value the Spot Priority Mix samples use) and a fault domain count [SDK: NetworkApiVersion
# enum; public template code that switches VMSS to Flexible for priority mix; UNVERIFIED in
# Microsoft docs].
FLEX_NETWORK_API_VERSION = "2020-11-01"

# OS disk: Premium SSD. 256 GiB because the HPC image leaves about 7 GB free on its 64 GB
# root disk, too little for container images (observed in public cluster notes; UNVERIFIED).
OS_DISK_TYPE = "Premium_LRS"
OS_DISK_GB = 256


def spot_max_price(resolved: ResolvedGroup) -> float:
    """Billing max price in USD: the caps model's cap for the one VM size
    (:class:`gpufleet.pricing.SpotCaps`, rule ``one-size``), or -1 for "up to on-demand" when the
    spec sets no cap at all.

    Azure compares it with the current spot price at create and update, and evicts for
    price above it; ``-1`` means "never evict for price" [SDK: BillingProfileArgs.max_price].
    """
    caps = spot_caps(resolved)
    if not caps.capped:
        return -1.0
    primary = resolved.primary
    cap = caps.shared()
    if cap is None:
        # A cap was asked for but cannot be computed; gpufleet.pricing.cap_problems refuses this at spec time.
        raise ValueError(
            f"no spot cap for {primary.instance.name} in {resolved.spec.region} (no maxPrices entry, no on-demand "
            "price); validate first"
        )
    if primary.on_demand is not None and primary.on_demand.currency != caps.currency:
        raise ValueError(f"Azure spot max price is in USD, the catalog says {primary.on_demand.currency}")
    return cap


def max_unhealthy_percent(nodes: int) -> int:
    """The share of a set that may be unhealthy before a rolling upgrade stops: 20 %, raised so
    one node always fits. With 20 % on 2-4 nodes a single bad node (25-50 %) would block every
    rollout, including the one that fixes it."""
    one_node = -(-100 // max(nodes, 1))  # ceil(100 / nodes)
    return min(max(ROLLING_MAX_UNHEALTHY_PERCENT, one_node), ROLLING_PERCENT_MAX)


def health_extension() -> compute.VirtualMachineScaleSetExtensionArgs:
    """The Application Health extension, probing the bootstrap's health endpoint on localhost."""
    settings: dict[str, Any] = {
        "protocol": health.HEALTH_PROTOCOL,
        "port": health.HEALTH_PORT,
        "requestPath": health.HEALTH_PATH,
        "intervalInSeconds": HEALTH_INTERVAL_SECONDS,
        "numberOfProbes": HEALTH_PROBES,
        "gracePeriod": HEALTH_GRACE_SECONDS,
    }
    return compute.VirtualMachineScaleSetExtensionArgs(
        name="HealthExtension",
        publisher=HEALTH_EXTENSION["publisher"],
        type=HEALTH_EXTENSION["type"],
        type_handler_version=HEALTH_EXTENSION["version"],
        auto_upgrade_minor_version=True,
        settings=settings,
    )


def image_reference(image: AzureImage) -> compute.ImageReferenceArgs:
    if image.resource_id is not None:
        return compute.ImageReferenceArgs(id=image.resource_id)
    publisher, offer, sku, version = image.parts
    return compute.ImageReferenceArgs(publisher=publisher, offer=offer, sku=sku, version=version)


def _os_profile(
    name: str, access: AccessSpec, custom_data: pulumi.Input[str]
) -> compute.VirtualMachineScaleSetOSProfileArgs:
    user = access.admin_username
    return compute.VirtualMachineScaleSetOSProfileArgs(
        computer_name_prefix=computer_name_prefix(name),
        admin_username=user,
        custom_data=custom_data,
        linux_configuration=compute.LinuxConfigurationArgs(
            disable_password_authentication=True,
            provision_vm_agent=True,
            ssh=compute.SshConfigurationArgs(
                public_keys=[
                    compute.SshPublicKeyArgs(path=f"/home/{user}/.ssh/authorized_keys", key_data=key)
                    for key in access.ssh_public_keys
                ]
            ),
        ),
    )


def _network_profile(
    name: str, plan: ScaleSetPlan, subnet_id: pulumi.Input[str], nic_nsg_id: pulumi.Input[str] | None
) -> compute.VirtualMachineScaleSetNetworkProfileArgs:
    nic = compute.VirtualMachineScaleSetNetworkConfigurationArgs(
        name=f"{name}-nic",
        primary=True,
        # GPU sizes support accelerated networking (per-size pages; UNVERIFIED for every catalog size).
        enable_accelerated_networking=True,
        network_security_group=compute.SubResourceArgs(id=nic_nsg_id) if nic_nsg_id is not None else None,
        # No public_ip_address_configuration: nodes get private addresses only.
        ip_configurations=[
            compute.VirtualMachineScaleSetIPConfigurationArgs(
                name="internal", primary=True, subnet=compute.ApiEntityReferenceArgs(id=subnet_id)
            )
        ],
    )
    return compute.VirtualMachineScaleSetNetworkProfileArgs(
        network_interface_configurations=[nic],
        network_api_version=FLEX_NETWORK_API_VERSION if plan.orchestration == "Flexible" else None,
    )


def scale_set_args(
    ctx: GroupContext,
    plan: ScaleSetPlan,
    *,
    image: AzureImage,
    custom_data: pulumi.Input[str],
    identity_id: pulumi.Input[str],
    rg_name: pulumi.Input[str],
    subnet_id: pulumi.Input[str],
    nic_nsg_id: pulumi.Input[str] | None,
    ppg_id: pulumi.Input[str] | None,
) -> compute.VirtualMachineScaleSetArgs:
    """Arguments of the scale set ``plan`` of the group (named by :func:`names.scale_set_name`)."""
    resolved, group = ctx.resolved, ctx.group
    if group.access is None:  # azure/rules.py refuses this at spec time
        raise ValueError(f"group '{group.name}' has no access.sshPublicKeys; validate the spec first")
    name = scale_set_name(ctx, plan)
    access = group.access
    ib = group.rdma
    uniform = plan.orchestration == "Uniform"
    spot = plan.priority == "Spot"
    vm_profile = compute.VirtualMachineScaleSetVMProfileArgs(
        priority=plan.priority,
        eviction_policy=("Deallocate" if group.market.eviction_policy == "deallocate" else "Delete") if spot else None,
        billing_profile=compute.BillingProfileArgs(max_price=spot_max_price(resolved)) if spot else None,
        os_profile=_os_profile(name, access, custom_data),
        storage_profile=compute.VirtualMachineScaleSetStorageProfileArgs(
            image_reference=image_reference(image),
            os_disk=compute.VirtualMachineScaleSetOSDiskArgs(
                create_option="FromImage",
                caching=compute.CachingTypes.READ_WRITE,
                disk_size_gb=OS_DISK_GB,
                managed_disk=compute.VirtualMachineScaleSetManagedDiskParametersArgs(storage_account_type=OS_DISK_TYPE),
            ),
        ),
        network_profile=_network_profile(name, plan, subnet_id, nic_nsg_id),
        security_profile=security_profile(resolved.primary.instance.name, image, group.encryption_at_host),
        extension_profile=compute.VirtualMachineScaleSetExtensionProfileArgs(extensions=[health_extension()]),
        # Boot diagnostics in managed storage: the serial log shows cloud-init failures.
        diagnostics_profile=compute.DiagnosticsProfileArgs(boot_diagnostics=compute.BootDiagnosticsArgs(enabled=True)),
    )
    return compute.VirtualMachineScaleSetArgs(
        resource_group_name=rg_name,
        vm_scale_set_name=name,
        location=group.region,
        tags=dict(ctx.tags),
        zones=list(group.zones) or None,
        sku=compute.SkuArgs(name=resolved.primary.instance.name, tier="Standard", capacity=plan.initial),
        orchestration_mode=plan.orchestration,
        # Overprovisioning would boot extra GPU nodes and bill them while they last; Uniform only.
        overprovision=False if uniform else None,
        # InfiniBand connects only VMs of one placement group; elsewhere allow up to 1,000 VMs
        # [DOC: azure-docs virtual-machine-scale-sets-use-spot.md, "Placement Groups"].
        single_placement_group=ib if uniform else None,
        platform_fault_domain_count=1 if (ib or not uniform) else None,
        proximity_placement_group=compute.SubResourceArgs(id=ppg_id) if ppg_id is not None else None,
        priority_mix_policy=(
            compute.PriorityMixPolicyArgs(
                base_regular_priority_count=plan.mix_base,
                regular_priority_percentage_above_base=plan.mix_percent,
            )
            if plan.mix_base is not None
            else None
        ),
        spot_restore_policy=(
            compute.SpotRestorePolicyArgs(enabled=True, restore_timeout=SPOT_RESTORE_TIMEOUT) if spot else None
        ),
        upgrade_policy=compute.UpgradePolicyArgs(
            mode=compute.UpgradeMode.ROLLING,
            rolling_upgrade_policy=compute.RollingUpgradePolicyArgs(
                max_batch_instance_percent=ROLLING_MAX_BATCH_PERCENT,
                max_unhealthy_instance_percent=max_unhealthy_percent(plan.capacity.maximum),
                max_unhealthy_upgraded_instance_percent=max(
                    ROLLING_MAX_UNHEALTHY_UPGRADED_PERCENT, max_unhealthy_percent(plan.capacity.maximum)
                ),
                pause_time_between_batches=ROLLING_PAUSE,
                prioritize_unhealthy_instances=True,
            ),
        ),
        automatic_repairs_policy=compute.AutomaticRepairsPolicyArgs(
            enabled=True, grace_period=REPAIR_GRACE_PERIOD, repair_action="Replace"
        ),
        # The group's user-assigned identity (Flexible sets take no system-assigned one: see
        # gpufleet.azure.identity); no role assignments here (the component grants the one
        # metrics role that GPU autoscaling needs, scoped to this scale set).
        identity=scale_set_identity(identity_id),
        virtual_machine_profile=vm_profile,
    )


def proximity_placement_group_args(
    ctx: GroupContext, rg_name: pulumi.Input[str]
) -> compute.ProximityPlacementGroupArgs:
    """A PPG whose intent names the VM size, so Azure picks a datacenter that has it [SDK:
    ProximityPlacementGroupPropertiesIntentArgs.vm_sizes]."""
    return compute.ProximityPlacementGroupArgs(
        resource_group_name=rg_name,
        location=ctx.group.region,
        proximity_placement_group_type="Standard",
        intent=compute.ProximityPlacementGroupPropertiesIntentArgs(vm_sizes=[ctx.resolved.primary.instance.name]),
        zones=list(ctx.group.zones) or None,
        tags=dict(ctx.tags),
    )
