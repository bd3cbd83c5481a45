"""Address plan of a network gpufleet creates for an AWS group (pure; no Pulumi import,
so the spec rules can use it).

The VPC CIDR is split into 8 equal blocks. Block ``i`` (0-6) is the private subnet of the
``i``-th zone, and the last block is the small public subnet that holds only the NAT
gateway. A zone keeps its block when zones are added after it, so adding a zone never
moves an existing subnet. A /16 gives /19 subnets (8,187 usable addresses each); a /24
gives /27s (27 usable).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from gpufleet.catalog import InstanceType
from gpufleet.spec import GroupSpec

SPLIT_BITS = 3
"""2**3 = 8 blocks: up to 7 private subnets and 1 public one."""
MAX_ZONES = 2**SPLIT_BITS - 1

# AWS reserves the first four and the last address of every subnet [DOC: Amazon VPC UG,
# "Subnet CIDR blocks", reserved IP addresses].
RESERVED_PER_SUBNET = 5


@dataclass(frozen=True)
class SubnetPlan:
    """One subnet to create."""

    zone: str
    cidr: str


@dataclass(frozen=True)
class NetworkPlan:
    """The subnets of a created VPC."""

    cidr: str
    private: tuple[SubnetPlan, ...]
    """One per zone, where the nodes run."""
    public: SubnetPlan
    """Holds the NAT gateway (nodes never get public addresses)."""


def zones_for(group: GroupSpec) -> tuple[str, ...]:
    """The zones a created network spans: the spec's, else ``<region>a`` and ``<region>b``.

    Every commercial Region has at least an ``a`` and a ``b`` zone name (UNVERIFIED for
    every account: zone names map to physical zones per account, and a zone may lack the
    GPU type; give ``zones`` to choose). EFA groups always name their one zone (rules.py).
    """
    return group.zones or (f"{group.region}a", f"{group.region}b")


def plan_network(group: GroupSpec) -> NetworkPlan:
    zones = zones_for(group)
    if len(zones) > MAX_ZONES:
        raise ValueError(f"a created network holds at most {MAX_ZONES} zones, got {len(zones)}")
    net = ipaddress.ip_network(group.network.address_space)
    blocks = list(net.subnets(prefixlen_diff=SPLIT_BITS))
    private = tuple(SubnetPlan(zone, str(blocks[i])) for i, zone in enumerate(zones))
    return NetworkPlan(cidr=str(net), private=private, public=SubnetPlan(zones[0], str(blocks[-1])))


def usable_addresses(cidr: str) -> int:
    return int(ipaddress.ip_network(cidr).num_addresses) - RESERVED_PER_SUBNET


def addresses_per_node(efa_interfaces: int) -> int:
    """Private addresses one node takes: one per ``efa`` interface (an EFA with ENA
    carries an IP address, like any ENI), else one for the primary interface."""
    return max(1, efa_interfaces)


def efa_interface_count(types: list[InstanceType]) -> int:
    """EFA interfaces a launch template shared by ``types`` can attach: the smallest
    catalog maximum, so every override type can launch it."""
    return min(t.efa_interfaces for t in types) if types else 0
