"""AWS limits checked at spec time."""

from __future__ import annotations

import re

from gpufleet.aws.netplan import (
    MAX_ZONES,
    zones_for,
)
from gpufleet.catalog import Catalog, InstanceType
from gpufleet.errors import Problem
from gpufleet.rules import CloudRules, generic_tag_problem
from gpufleet.spec import GroupSpec

_ZONE = re.compile(r"^(?P<region>[a-z]{2}(-[a-z]+)+-\d+)(?P<letter>[a-z])$")


def _zone_ok(region: str, zone: str) -> bool:
    m = _ZONE.match(zone)
    return bool(m and m.group("region") == region)


def _check(group: GroupSpec, path: str, types: list[InstanceType], catalog: Catalog) -> list[Problem]:
    out: list[Problem] = []
    if group.rdma:
        # EFA OS-bypass traffic stays in one subnet, so an EFA cluster is one subnet in one
        # AZ (AWS EC2 UG "Elastic Fabric Adapter", EFA limitations).
        if len(group.zones) > 1:
            out.append(Problem(f"{path}.zones", f"rdma (EFA) needs exactly one zone, got {list(group.zones)}"))
        subnets = group.network.subnet_ids or ()
        if len(subnets) > 1:
            out.append(Problem(f"{path}.network.subnetIds", f"rdma (EFA) needs exactly one subnet, got {len(subnets)}"))
        if group.network.create and not group.zones:
            out.append(Problem(f"{path}.zones", "rdma (EFA) with 'network.create' needs one zone, e.g. ['us-east-1a']"))
    if group.network.subnet_ids and group.network.vpc_id is None:
        out.append(
            Problem(
                f"{path}.network.vpcId",
                "give the VPC of the subnets (e.g. vpcId: vpc-0abc...): the group's security group is created in "
                "it, and gpufleet looks nothing up at plan time",
            )
        )
    if group.network.create:
        out += _network_problems(group, path)
    # Spot caps are checked for every cloud by gpufleet.pricing.cap_problems.
    return out


def _network_problems(group: GroupSpec, path: str) -> list[Problem]:
    """A created network must fit its zones."""
    zones = zones_for(group)
    if len(zones) > MAX_ZONES:
        return [Problem(f"{path}.zones", f"a created network holds at most {MAX_ZONES} zones, got {len(zones)}")]
    # The subnet size is checked for every cloud by gpufleet.capabilities.subnet_problems.
    return []


RULES = CloudRules(
    cloud="aws",
    # IAM role names are at most 64 characters [DOC: AWS IAM "IAM and AWS STS quotas"]; the
    # node role is "<fleet>-<group>-node" plus Pulumi's 8-character random suffix.
    max_name_length=50,
    name_limit_source="IAM role names are at most 64 characters (<fleet>-<group>-node plus an 8-character suffix)",
    zone_example="us-east-1a",
    zone_ok=_zone_ok,
    tag_problems=generic_tag_problem,
    check=_check,
)
