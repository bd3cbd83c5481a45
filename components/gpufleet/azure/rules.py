"""Azure limits checked at spec time."""

from __future__ import annotations

import ipaddress

from gpufleet.catalog import Catalog, InstanceType
from gpufleet.errors import Problem
from gpufleet.rules import CloudRules, generic_tag_problem
from gpufleet.spec import GroupSpec

# The InfiniBand network of RDMA sizes reserves this range [DOC: Microsoft Learn "High
# performance computing VM sizes"; SDK notes 2.5].
IB_RESERVED = ipaddress.ip_network("172.16.0.0/16")
# A single placement group holds at most 100 VMs by default [SDK: VirtualMachineScaleSetArgs
# docstring "single placement group, of max size 100 VMs"; SDK notes 2.6].
SINGLE_PLACEMENT_GROUP_MAX = 100


def _zone_ok(region: str, zone: str) -> bool:
    return zone in ("1", "2", "3")


def _tag_problem(key: str, value: str) -> str | None:
    # Tag names may not contain < > % & \ ? / [DOC: Microsoft Learn "Use tags to organize your
    # Azure resources", limitations; from memory, UNVERIFIED here].
    if any(c in key for c in "<>%&\\?/"):
        return f"Azure tag names may not contain any of < > % & \\ ? / (got '{key}')"
    return generic_tag_problem(key, value)


def _check(group: GroupSpec, path: str, types: list[InstanceType], catalog: Catalog) -> list[Problem]:
    out: list[Problem] = []
    if group.rdma:
        if group.capacity.max > SINGLE_PLACEMENT_GROUP_MAX:
            out.append(
                Problem(
                    f"{path}.capacity.max",
                    f"{group.capacity.max} is over {SINGLE_PLACEMENT_GROUP_MAX}: InfiniBand needs a single "
                    "placement group, which holds at most 100 VMs; split the group",
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
    return out


RULES = CloudRules(
    cloud="azure",
    # Linux VM scale set names are 1-64 characters [DOC: Microsoft Learn "Naming rules and
    # restrictions for Azure resources", Microsoft.Compute virtualMachineScaleSets; from
    # memory, UNVERIFIED here]; leave room for Pulumi's 8-character suffix.
    max_name_length=56,
    name_limit_source="VM scale set names are at most 64 characters, including an 8-character suffix",
    zone_example="1",
    zone_ok=_zone_ok,
    tag_problems=_tag_problem,
    check=_check,
)
