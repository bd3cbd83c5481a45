"""Address plan of a created network: one vSwitch per zone, cut from the group's range.

The range is always split into :data:`MAX_ZONES` equal blocks and zone ``i`` gets block
``i``, whatever the number of zones (like ``gpufleet.aws.netplan``). A zone keeps its
vSwitch when zones are added after it; splitting by the zone count would renumber, and so
replace, every vSwitch and its nodes. A /16 gives /19 vSwitches (8,188 usable addresses).
"""

from __future__ import annotations

import ipaddress
import itertools

SPLIT_BITS = 3
"""2**3 = 8 blocks, one per zone (the NAT gateway sits in the first zone's vSwitch)."""
MAX_ZONES = 2**SPLIT_BITS

RESERVED_PER_VSWITCH = 4
"""Addresses a vSwitch never hands out: the first and the last three [DOC: Alibaba Cloud
VPC API CreateVSwitchCidrReservation, "the first IP address and the last three IP
addresses of the vSwitch are reserved by the system"]."""

SMALLEST_VSWITCH_PREFIX = 29
"""vSwitch masks are /16 to /29 [SDK: vpc.Switch cidr_block docstring]."""


def vswitch_cidrs(address_space: str, zones: int) -> list[str]:
    """Blocks 0 .. ``zones``-1 of the range cut into :data:`MAX_ZONES`, in zone order."""
    if zones > MAX_ZONES:
        raise ValueError(f"a created network holds at most {MAX_ZONES} zones, got {zones}")
    net = ipaddress.IPv4Network(address_space)
    blocks = net.subnets(prefixlen_diff=SPLIT_BITS)
    return [str(b) for b in itertools.islice(blocks, zones)]


def usable_addresses(cidr: str) -> int:
    """Addresses a vSwitch can give to instances and interfaces."""
    return int(ipaddress.IPv4Network(cidr).num_addresses) - RESERVED_PER_VSWITCH
