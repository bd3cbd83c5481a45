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
    """The zones a created network spans: the spec's (names or AZ IDs). aws/rules.py requires
    them with ``network.create``: a default such as ``<region>b`` may take no subnets."""
    return group.zones


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
    """Private addresses one node takes: the ENA primary's only. EFA devices are ``efa-only``
    interfaces (``efa_layout``), which carry no IP address [DOC: EC2 UG "Elastic Fabric
    Adapter", EFA-only interfaces: the EFA device without the ENA device, no IP networking]."""
    del efa_interfaces
    return 1


def efa_cards(types: list[InstanceType]) -> tuple[int, ...]:
    """Network cards that get an EFA-only interface in a template shared by ``types``: the
    cards that take one on every type (the catalog's per-card data), so every override launches."""
    if not types:
        return ()
    common = set(types[0].efa_cards)
    for t in types[1:]:
        common &= set(t.efa_cards)
    return tuple(sorted(common))


def efa_interface_count(types: list[InstanceType]) -> int:
    """EFA devices a node of a template shared by ``types`` gets: one per card of ``efa_cards``."""
    return len(efa_cards(types))


@dataclass(frozen=True)
class Nic:
    """One network interface of the launch template."""

    card: int
    device: int
    kind: str
    """``interface`` (ENA) or ``efa-only``."""


def efa_layout(types: list[InstanceType]) -> tuple[Nic, ...]:
    """AWS's recommended layout for EFA on multi-card types: an ENA primary at card 0 / device 0,
    an EFA-only interface at card 0 / device 1 when card 0 takes one, and an EFA-only interface at
    device 0 of every other EFA card [DOC: EC2 UG "Maximize network bandwidth on Amazon EC2
    instances with multiple network cards" (efa-acc-inst-types), read 2026-11; the default of
    aws-parallelcluster since PR #7262]. One private IP per node, and no multi-interface Linux
    routing to configure."""
    nics = [Nic(0, 0, "interface")]
    nics += [Nic(card, 1 if card == 0 else 0, "efa-only") for card in efa_cards(types)]
    return tuple(nics)
