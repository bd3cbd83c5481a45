"""What each cloud supports, in one table (like SkyPilot's ``CloudImplementationFeatures``).

Spec validation, ``resolve`` (and so ``gpufleet resolve``), the caps-and-pricing model
(:mod:`gpufleet.pricing`) and the builders read these facts instead of keeping their own
"only on cloud X" copies. Every number carries its source.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from gpufleet.alicloud.erdma import eri_count
from gpufleet.aws.netplan import addresses_per_node, efa_interface_count
from gpufleet.catalog import Cloud, InstanceType
from gpufleet.catalog.models import RdmaKind
from gpufleet.errors import Problem
from gpufleet.spec import GroupSpec

CapRule = Literal["one-for-all", "one-size", "per-type"]
"""How a cloud combines the per-type spot caps a spec asks for into what it bills:

- ``one-for-all``: one max price for every type of the group, set to the highest per-type
  cap (so no listed type is priced out); any node may be billed up to it (AWS);
- ``one-size``: the group runs one size, so its cap is the only one (Azure);
- ``per-type``: each type has its own limit (Alibaba ESS).
"""


@dataclass(frozen=True)
class CloudCapabilities:
    """The facts about one cloud that the spec, resolve, pricing and builders share."""

    cloud: Cloud
    sizes_per_group: int | None
    """Most instance types (sizes) one group may run; None = no limit gpufleet enforces."""
    sizes_source: str
    rdma: RdmaKind
    """The RDMA fabric ``rdma: true`` selects."""
    spot_caps: CapRule
    """How per-type spot caps combine (see :data:`CapRule`)."""
    spot_cap_decimals: int
    """Decimals the cloud accepts in a spot cap; gpufleet rounds a cap *down* to them."""
    spot_cap_currency: str | None
    """Currency of a spot cap on the wire; None = the catalog currency of the region."""
    schedules: str
    """What a schedule can express on this cloud (for docs and messages)."""
    reserved_per_subnet: int
    """Addresses the cloud keeps in every subnet."""
    subnet_split_bits: int
    """A created network's range is cut into ``2**bits`` blocks and a zone's subnet is one of
    them (0 = one subnet over the whole range)."""
    addresses_per_node: Callable[[list[InstanceType], bool], int]
    """Private addresses one node takes in its subnet, given the group's types and ``rdma``."""
    identity: str
    """What the nodes run as, for docs."""
    keys: frozenset[str]
    """Cloud-specific spec keys (dotted camelCase paths under a group) this cloud reads."""


def _one_address(types: list[InstanceType], rdma: bool) -> int:
    del types, rdma
    return 1


def _aws_addresses(types: list[InstanceType], rdma: bool) -> int:
    # The ENA primary's address only: EFA devices are EFA-only interfaces without an IP
    # (aws/netplan.py efa_layout).
    return addresses_per_node(efa_interface_count(types) if rdma else 0)


def _alicloud_addresses(types: list[InstanceType], rdma: bool) -> int:
    # Each ERI is an interface with its own address (alicloud/erdma.py).
    return eri_count(types) if rdma else 1


CAPABILITIES: Mapping[Cloud, CloudCapabilities] = {
    "aws": CloudCapabilities(
        cloud="aws",
        # The Auto Scaling API model gives no maximum for LaunchTemplate.Overrides (botocore
        # autoscaling 2011-01-01 service-2.json, shape "Overrides"); a documented limit is
        # UNVERIFIED here, so none is enforced.
        sizes_per_group=None,
        sizes_source="a mixed instances policy lists its types as launch template overrides",
        rdma="efa",
        # One InstancesDistribution.SpotMaxPrice for every override type [DOC: AWS EC2 Auto
        # Scaling API reference, InstancesDistribution; docs/aws.md].
        spot_caps="one-for-all",
        # SpotMaxPrice is a string; gpufleet writes at most 5 decimals (aws/market.py) and the
        # API minimum is 0.001 [botocore autoscaling MixedInstanceSpotPrice documentation].
        spot_cap_decimals=5,
        spot_cap_currency="USD",
        schedules="cron with an IANA time zone per scheduled action (min, desired, max)",
        # AWS reserves the first four and the last address of every subnet [DOC: Amazon VPC
        # User Guide, "Subnet CIDR blocks", reserved IP addresses].
        reserved_per_subnet=5,
        subnet_split_bits=3,  # aws/netplan.py: 7 private zone subnets + 1 public
        addresses_per_node=_aws_addresses,
        identity="IAM role via an instance profile",
        keys=frozenset({"market.allocationStrategy", "network.vpcId", "bootstrap.image.ssmParameter", "rollout"}),
    ),
    "azure": CloudCapabilities(
        cloud="azure",
        # A scale set has one sku.name [SDK: azure-native compute.SkuArgs name; azure/rules.py].
        sizes_per_group=1,
        sizes_source="an Azure scale set runs one VM size (sku.name)",
        rdma="infiniband",
        # billingProfile.maxPrice covers the one VM size [SDK: BillingProfileArgs.max_price].
        spot_caps="one-size",
        # Azure accepts up to 5 decimals in a spot max price [DOC: Microsoft Learn "Azure Spot
        # Virtual Machines", pricing: "up to 5 decimal places"; UNVERIFIED in the SDK].
        spot_cap_decimals=5,
        spot_cap_currency="USD",  # BillingProfileArgs.max_price docstring: US dollars
        schedules="weekly recurrence profiles: one hour and minute each, Windows time zone ids",
        # Azure reserves five addresses per subnet: the first four and the last [DOC: Microsoft
        # Learn "Azure Virtual Network FAQ", "Are there any restrictions on using IP addresses
        # within these subnets?"].
        reserved_per_subnet=5,
        subnet_split_bits=0,  # azure/network.py: one subnet over the whole range
        # One network interface configuration per VM (azure/vmss.py); the InfiniBand interfaces
        # are a separate fabric and take no VNet address.
        addresses_per_node=_one_address,
        identity="user-assigned managed identity",
        keys=frozenset(
            {
                "access",
                "network.resourceGroup",
                "market.evictionPolicy",
                "encryptionAtHost",
                "autoscaling.metricPublished",
            }
        ),
    ),
    "alicloud": CloudCapabilities(
        cloud="alicloud",
        # ESS spreads spot over at most 10 types (alicloud/spot.py MAX_SPOT_POOLS); a limit on
        # the types of one scaling configuration is UNVERIFIED here, so none is enforced.
        sizes_per_group=None,
        sizes_source="a scaling configuration lists its instance types",
        rdma="erdma",
        # One SpotPriceLimit per instance type [SDK: ess.ScalingConfiguration spot_price_limits].
        spot_caps="per-type",
        # At most two decimals [SDK: ScalingConfigurationSpotPriceLimitArgs price_limit].
        spot_cap_decimals=2,
        spot_cap_currency=None,
        schedules="UTC cron with '?' for day-of-month or day-of-week, at most once an hour, within a "
        "pinned 90/365-day window (autoscaling.scheduleStart)",
        # The first and the last three addresses of a vSwitch are reserved [DOC: Alibaba Cloud
        # VPC API CreateVSwitchCidrReservation; alicloud/subnets.py RESERVED_PER_VSWITCH].
        reserved_per_subnet=4,
        subnet_split_bits=3,  # alicloud/subnets.py: 8 fixed vSwitch blocks
        addresses_per_node=_alicloud_addresses,
        identity="RAM role",
        keys=frozenset({"network.vpcId", "autoscaling.scheduleStart", "capacity.mode", "alicloud"}),
    ),
}

CLOUD_KEYS: Mapping[str, frozenset[Cloud]] = {
    key: frozenset(c for c, caps in CAPABILITIES.items() if key in caps.keys)
    for key in sorted(set().union(*(caps.keys for caps in CAPABILITIES.values())))
}
"""Each cloud-specific spec key and the clouds that read it."""


CLOUD_NAMES: Mapping[Cloud, str] = {"aws": "AWS", "azure": "Azure", "alicloud": "Alibaba Cloud"}
FABRIC_NAMES: Mapping[RdmaKind, str] = {"efa": "EFA", "infiniband": "InfiniBand", "erdma": "eRDMA"}


def capabilities(cloud: Cloud) -> CloudCapabilities:
    return CAPABILITIES[cloud]


def _set_paths(model: BaseModel, prefix: str = "") -> list[str]:
    """Dotted camelCase paths of every key the user gave (``model_fields_set``), nested."""
    out: list[str] = []
    for name in sorted(model.model_fields_set):
        info = type(model).model_fields[name]
        key = f"{prefix}{info.alias or name}"
        out.append(key)
        value: Any = getattr(model, name)
        if isinstance(value, BaseModel):
            out += _set_paths(value, f"{key}.")
    return out


def key_problems(group: GroupSpec, path: str) -> list[Problem]:
    """A cloud-specific key set on a cloud that does not read it: refused, not ignored."""
    out = []
    for key in _set_paths(group):
        clouds = CLOUD_KEYS.get(key)
        if clouds is not None and group.cloud not in clouds:
            where = " and ".join(CLOUD_NAMES[c] for c in sorted(clouds))
            out.append(
                Problem(
                    f"{path}.{key}",
                    f"'{key}' is {where} only: {CLOUD_NAMES[group.cloud]} groups do not read it; remove it",
                )
            )
    return out


def created_subnet(group: GroupSpec) -> str:
    """The CIDR of one zone's subnet in a network gpufleet creates for ``group``."""
    bits = CAPABILITIES[group.cloud].subnet_split_bits
    net = ipaddress.IPv4Network(group.network.address_space)
    return str(next(net.subnets(prefixlen_diff=bits)))


def usable_addresses(cloud: Cloud, cidr: str) -> int:
    return int(ipaddress.IPv4Network(cidr).num_addresses) - CAPABILITIES[cloud].reserved_per_subnet


def subnet_problems(group: GroupSpec, path: str, types: list[InstanceType]) -> list[Problem]:
    """A created subnet must hold every node's addresses at ``capacity.max``: a group may
    put all its nodes in one zone when the others lack capacity."""
    if not group.network.create:
        return []
    caps = CAPABILITIES[group.cloud]
    subnet = created_subnet(group)
    per_node = caps.addresses_per_node(types, group.rdma)
    need = group.capacity.max * per_node
    have = usable_addresses(group.cloud, subnet)
    if need <= have:
        return []
    net = ipaddress.IPv4Network(group.network.address_space)
    bits = caps.subnet_split_bits
    fits = [p for p in range(net.prefixlen - 1, 15, -1) if 2 ** (32 - p - bits) - caps.reserved_per_subnet >= need]
    hint = (
        f"use a larger range such as '{net.supernet(new_prefix=fits[0])}'"
        if fits
        else "that is more than a /16 allows; lower capacity.max or bring your own subnets (subnetIds)"
    )
    why = f"{per_node} {FABRIC_NAMES.get(caps.rdma, caps.rdma)} interfaces per node x " if per_node > 1 else ""
    layout = f"/{subnet.split('/')[1]} subnets" if bits else f"one /{net.prefixlen} subnet"
    return [
        Problem(
            f"{path}.network.cidr",
            f"'{net}' gives {layout} with {have} usable addresses, but the group needs {why}"
            f"{group.capacity.max} nodes = {need} addresses ({CLOUD_NAMES[group.cloud]} reserves "
            f"{caps.reserved_per_subnet} per subnet); {hint}",
        )
    ]
