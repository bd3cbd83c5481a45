"""Azure limits checked at spec time (no Pulumi here: ``gpufleet validate`` runs this)."""

from __future__ import annotations

import ipaddress
import re

from gpufleet.azure.image import image_problem
from gpufleet.azure.layout import is_mixed
from gpufleet.azure.schedule import DEFAULT_PROFILE, MAX_PROFILES, ScheduleError, cron_to_recurrence, windows_zone
from gpufleet.azure.ssh import DISALLOWED_ADMIN_NAMES, key_problem
from gpufleet.azure.tzlists import KNOWN_ZONES
from gpufleet.catalog import Catalog, InstanceType
from gpufleet.errors import Problem
from gpufleet.metrics import AZURE_GPU_UTILIZATION
from gpufleet.rules import CloudRules, generic_tag_problem
from gpufleet.spec import GroupSpec

# The InfiniBand network of RDMA sizes reserves this range [DOC: Microsoft Learn "High
# performance computing VM sizes"].
IB_RESERVED = ipaddress.ip_network("172.16.0.0/16")
# A single placement group holds at most 100 VMs by default, raisable to 300 by a support
# request [SDK: VirtualMachineScaleSetArgs docstring "single placement group, of max size 100
# VMs"; DOC: MicrosoftDocs/azure-compute-docs sizes-hpc, "100 VMs by default ... increased to 300"].
SINGLE_PLACEMENT_GROUP_MAX = 100
# With singlePlacementGroup false a scale set holds 0-1,000 VMs [DOC: Microsoft Learn
# "Virtual Machine Scale Sets and placement groups"; infra-facts 5c. The same 1,000 for
# Flexible orchestration is UNVERIFIED here].
SCALE_SET_MAX = 1000
# Spot max price is in US dollars [SDK: BillingProfileArgs.max_price docstring].
SPOT_PRICE_CURRENCY = "USD"

# Resource group names: 1-90 characters of letters, digits, _ - . ( ), not ending in '.'
# [DOC: Microsoft Learn "Naming rules and restrictions for Azure resources"; infra-facts 5d,
# from secondary copies].
RESOURCE_GROUP_RE = re.compile(r"^[-\w.()]{1,89}[-\w()]$")
SUBNET_ID_RE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+$",
    re.IGNORECASE,
)


def _zone_ok(region: str, zone: str) -> bool:
    return zone in ("1", "2", "3")


def _tag_problem(key: str, value: str) -> str | None:
    # Tag names may not contain < > % & \ ? / [DOC: Microsoft Learn "Use tags to organize your
    # Azure resources", limitations; from memory, UNVERIFIED here].
    if any(c in key for c in "<>%&\\?/"):
        return f"Azure tag names may not contain any of < > % & \\ ? / (got '{key}')"
    return generic_tag_problem(key, value)


def _rdma_problems(group: GroupSpec, path: str) -> list[Problem]:
    out: list[Problem] = []
    if group.capacity.max > SINGLE_PLACEMENT_GROUP_MAX:
        out.append(
            Problem(
                f"{path}.capacity.max",
                f"{group.capacity.max} is over {SINGLE_PLACEMENT_GROUP_MAX}: InfiniBand needs a single "
                "placement group, which holds 100 VMs by default; Azure raises it to 300 on a support request "
                "(HPC sizes doc), which gpufleet cannot see, so split the group",
            )
        )
    if group.network.create and ipaddress.ip_network(group.network.address_space).overlaps(IB_RESERVED):
        out.append(
            Problem(
                f"{path}.network.cidr",
                f"'{group.network.address_space}' overlaps 172.16.0.0/16, which the InfiniBand network "
                "reserves; use e.g. 10.40.0.0/16",
            )
        )
    if len(group.zones) > 1:
        out.append(
            Problem(
                f"{path}.zones",
                f"{len(group.zones)} zones given: an InfiniBand scale set sits in one proximity placement group "
                "(one datacenter); give at most one zone",
            )
        )
    if is_mixed(group):
        m = group.market
        if m.percent_above_base > 0:
            out.append(
                Problem(
                    f"{path}.market.onDemandPercentAboveBase",
                    f"{m.percent_above_base} is not possible with InfiniBand: a mixed InfiniBand group is two scale "
                    "sets (an on-demand base and a spot rest), which can hold a fixed base but no percentage; "
                    "use 0 and set onDemandBase",
                )
            )
        if m.on_demand_base >= group.capacity.max:
            out.append(
                Problem(
                    f"{path}.market.onDemandBase",
                    f"{m.on_demand_base} leaves no room for spot nodes under capacity.max {group.capacity.max}; "
                    "lower it or use market type 'on-demand'",
                )
            )
    return out


def _access_problems(group: GroupSpec, path: str) -> list[Problem]:
    if group.access is None:
        return [
            Problem(
                f"{path}.access",
                "Azure Linux scale sets need an SSH public key (password login is always disabled); add "
                "access: {sshPublicKeys: ['ssh-ed25519 AAAA... you@host']}",
            )
        ]
    out = [
        Problem(f"{path}.access.sshPublicKeys[{i}]", f"'{key[:24]}...' {msg}")
        for i, key in enumerate(group.access.ssh_public_keys)
        if (msg := key_problem(key)) is not None
    ]
    if group.access.admin_username in DISALLOWED_ADMIN_NAMES:
        out.append(
            Problem(
                f"{path}.access.adminUsername",
                f"'{group.access.admin_username}' is a name Azure refuses for the admin user; e.g. 'azureuser'",
            )
        )
    return out


def _network_problems(group: GroupSpec, path: str) -> list[Problem]:
    out: list[Problem] = []
    rg = group.network.resource_group
    if rg is not None and not RESOURCE_GROUP_RE.match(rg):
        out.append(
            Problem(
                f"{path}.network.resourceGroup",
                f"'{rg}' is not a valid resource group name (1-90 letters, digits, _ - . ( ), not ending in '.')",
            )
        )
    subnets = group.network.subnet_ids or ()
    if len(subnets) > 1:
        out.append(
            Problem(
                f"{path}.network.subnetIds",
                f"{len(subnets)} subnets given: an Azure scale set's network interface sits in one subnet "
                "(subnets span all zones of a region); give one",
            )
        )
    for i, sid in enumerate(subnets):
        if not SUBNET_ID_RE.match(sid):
            out.append(
                Problem(
                    f"{path}.network.subnetIds[{i}]",
                    f"'{sid}' is not an Azure subnet id (/subscriptions/<id>/resourceGroups/<rg>/providers/"
                    "Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>)",
                )
            )
    return out


def _market_problems(group: GroupSpec, path: str, types: list[InstanceType], catalog: Catalog) -> list[Problem]:
    out: list[Problem] = []  # one VM size per group: gpufleet.capabilities (validation)
    if not group.rdma and group.capacity.max > SCALE_SET_MAX:
        out.append(
            Problem(
                f"{path}.capacity.max", f"{group.capacity.max} is over {SCALE_SET_MAX}, the most VMs a scale set holds"
            )
        )
    # Spot caps (one size, USD) are checked by gpufleet.pricing.cap_problems.
    return out


def _image_problems(group: GroupSpec, path: str) -> list[Problem]:
    image = group.bootstrap.image
    if image is None:
        return []
    if image.id is not None and (msg := image_problem(image.id)) is not None:
        return [Problem(f"{path}.bootstrap.image.id", msg)]
    return []


def _schedule_problems(group: GroupSpec, path: str) -> list[Problem]:
    if group.autoscaling is None:
        return []
    out: list[Problem] = []
    schedules = group.autoscaling.schedules
    needed = 1  # the default profile
    for i, s in enumerate(schedules):
        label = s.label(i)
        where = f"{path}.autoscaling.schedules[{i}]"
        if s.name is not None and s.name.lower() == DEFAULT_PROFILE:
            out.append(
                Problem(
                    f"{where}.name",
                    f"'{s.name}' is reserved: Azure autoscale already has a profile named '{DEFAULT_PROFILE}' (the "
                    "group's own capacity), and two profiles with one name collide; rename the schedule",
                )
            )
        try:
            needed += len(cron_to_recurrence(s.cron).start_times())
        except ScheduleError as e:
            out.append(Problem(f"{where}.cron", f"Azure cannot express schedule '{label}': {e}"))
        try:
            windows_zone(s.timezone)
        except ScheduleError as e:
            out.append(Problem(f"{where}.timezone", f"Azure cannot express schedule '{label}': {e}"))
    if needed > MAX_PROFILES:
        starts = ", ".join(f"'{s.label(i)}' {n}" for i, s in enumerate(schedules) if (n := _start_count(s.cron)) > 1)
        out.append(
            Problem(
                f"{path}.autoscaling.schedules",
                f"needs {needed} autoscale profiles (the default one plus one per start time of each schedule"
                f"{'; start times: ' + starts if starts else ''}), over Azure's {MAX_PROFILES}: ARM takes one hour "
                "and one minute per recurrence; use fewer schedules or fewer hours/minutes per cron",
            )
        )
    return out


def _start_count(cron: str) -> int:
    try:
        return len(cron_to_recurrence(cron).start_times())
    except ScheduleError:
        return 0


def _check(group: GroupSpec, path: str, types: list[InstanceType], catalog: Catalog) -> list[Problem]:
    out: list[Problem] = []
    if group.rdma:
        out += _rdma_problems(group, path)
    out += _access_problems(group, path)
    out += _network_problems(group, path)
    out += _market_problems(group, path, types, catalog)
    out += _image_problems(group, path)
    out += _schedule_problems(group, path)
    return out


def _can_leave_zero(group: GroupSpec) -> bool:
    """Some profile starts nodes with no metric to read: min >= 1, or a schedule's min or desired."""
    scaling = group.autoscaling
    schedules = scaling.schedules if scaling is not None else ()
    return group.capacity.min >= 1 or any((s.min or 0) >= 1 or (s.desired or 0) >= 1 for s in schedules)


def _autoscale_warnings(group: GroupSpec, path: str) -> list[Problem]:
    scaling = group.autoscaling
    if scaling is None or scaling.gpu_utilization_target is None:
        return []
    out: list[Problem] = []
    if not _can_leave_zero(group):
        # A metric rule needs a node to report: at 0 nodes there is no GPU metric, and the default
        # profile's default is the minimum (0), so nothing starts a node again.
        out.append(
            Problem(
                f"{path}.capacity.min",
                "0 with a GPU utilisation target on Azure: a metric-only profile cannot scale out from zero nodes "
                "(no node, no metric), so once the group scales in to 0 it stays there; set capacity.min to 1, or "
                "add a schedule with min or desired >= 1 for the hours it must serve",
            )
        )
    if not scaling.metric_published:
        never = " No node will publish it while the group starts at 0 nodes." if group.capacity.desired == 0 else ""
        out.append(
            Problem(
                f"{path}.autoscaling.metricPublished",
                "false: the GPU rules are left out of the autoscale setting for now, because Azure refuses a rule on "
                f"a custom metric that does not exist yet ('UnsupportedMetric'), and {AZURE_GPU_UTILIZATION.namespace}"
                f"/{AZURE_GPU_UTILIZATION.name} exists only after a node has published it.{never} After the first "
                "`pulumi up`, once the scale set shows the metric (portal: Metrics, that namespace), set "
                "autoscaling.metricPublished: true and run `pulumi up` again "
                "(docs/azure.md, 'GPU rules in two phases')",
            )
        )
    return out


def _zone_warnings(group: GroupSpec, path: str) -> list[Problem]:
    """A Windows zone name on neither of the autoscale API's lists (azure/tzlists.py): a hint."""
    out: list[Problem] = []
    for i, s in enumerate(group.autoscaling.schedules if group.autoscaling is not None else ()):
        try:
            name = windows_zone(s.timezone)
        except ScheduleError:
            continue  # refused by _schedule_problems
        if name not in KNOWN_ZONES:
            out.append(
                Problem(
                    f"{path}.autoscaling.schedules[{i}].timezone",
                    f"'{s.timezone}' maps to the Windows zone '{name}' (CLDR, via tzlocal), which is on neither the "
                    "autoscale REST API's list of time zones nor Azure CLI's; Azure may refuse it. A zone with the "
                    "same offsets and an older Windows name avoids the risk (e.g. 'America/Los_Angeles' for "
                    "'America/Vancouver')",
                )
            )
    return out


def _warnings(group: GroupSpec, path: str, types: list[InstanceType], catalog: Catalog) -> list[Problem]:
    return _autoscale_warnings(group, path) + _zone_warnings(group, path)


RULES = CloudRules(
    cloud="azure",
    # Linux VM scale set names are 1-64 characters [DOC: Microsoft Learn "Naming rules and
    # restrictions for Azure resources", Microsoft.Compute virtualMachineScaleSets; infra-facts
    # 5d]. The component names scale sets "<fleet>-<group>" or "<fleet>-<group>-regular", so
    # 56 + 8 fits 64.
    max_name_length=56,
    name_limit_source="VM scale set names are at most 64 characters, including a '-regular' suffix",
    zone_example="1",
    zone_ok=_zone_ok,
    tag_problems=_tag_problem,
    check=_check,
    warnings=_warnings,
    # At most 50 tag name/value pairs per resource, resource group or subscription [DOC: Microsoft
    # Learn azure-resource-manager/management/tag-resources, Limitations; contract rule
    # azure.tags.max-50].
    max_tags=50,
    max_tags_source="Azure Resource Manager tag limit",
)
