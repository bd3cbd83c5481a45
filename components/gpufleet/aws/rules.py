"""AWS limits checked at spec time."""

from __future__ import annotations

import re

from gpufleet.aws.netplan import MAX_ZONES, zones_for
from gpufleet.aws.zones import is_zone_id, offering_zone_ids, region_of_zone_id, zone_ids, zone_names
from gpufleet.catalog import Catalog, InstanceType
from gpufleet.errors import Problem
from gpufleet.rules import CloudRules, generic_tag_problem
from gpufleet.spec import GroupSpec

_ZONE = re.compile(r"^(?P<region>[a-z]{2}(-[a-z]+)+-\d+)(?P<letter>[a-z])$")


def _zone_ok(region: str, zone: str) -> bool:
    """A zone name of ``region`` (``us-east-1a``) or one of its AZ IDs (``use1-az6``)."""
    if is_zone_id(zone):
        # The Region from the ID's prefix (use1 -> us-east-1) where the data knows it.
        return region_of_zone_id(zone) in (None, region)
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
    if group.rdma:
        out += _efa_layout_problems(group, path, types)
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
    out += _offering_problems(group, path, types)
    # Spot caps are checked for every cloud by gpufleet.pricing.cap_problems.
    return out


def _efa_layout_problems(group: GroupSpec, path: str, types: list[InstanceType]) -> list[Problem]:
    """One launch template serves every type of a group, so an EFA group's types must take
    EFA-only interfaces on the same network cards (catalog per-card data from EC2
    DescribeInstanceTypes). Otherwise the larger type would run with part of its EFAs (p5e
    with p5en's 16 of its 32): refused, with the layouts, rather than silently halved."""
    layouts = {t.name: t.efa_cards for t in types}
    where = f"{path}.gpu.instanceTypes" if group.gpu.instance_types else f"{path}.gpu.model"
    missing = [n for n, cards in layouts.items() if not cards]
    if missing:
        return [
            Problem(
                where,
                f"rdma (EFA): no EFA network-card data for {', '.join(missing)} (EC2 DescribeInstanceTypes as moto "
                "ships it), so its EFA layout cannot be built; list types that have it",
            )
        ]
    if len(set(layouts.values())) > 1:
        shapes = ", ".join(f"{n}: {len(c)} EFA cards" for n, c in layouts.items())
        return [
            Problem(
                where,
                f"rdma (EFA) types with different EFA card layouts share one launch template ({shapes}); every node "
                "would get only the cards all of them have. List types of one layout in gpu.instanceTypes, e.g. "
                f"[{next(iter(layouts))}], or split the group",
            )
        ]
    return []


def _offering_problems(group: GroupSpec, path: str, types: list[InstanceType]) -> list[Problem]:
    """Each AZ ID offers each of the group's types, where sourced offerings exist (moto's
    DescribeInstanceTypeOfferings snapshot by AZ ID: contract/data/aws_zone_offerings.csv)."""
    out: list[Problem] = []
    for j, zone in enumerate(group.zones):
        if not is_zone_id(zone) or not _zone_ok(group.region, zone):
            continue  # names cannot be checked (a warning says so); a foreign ID is refused already
        for t in types:
            offered = offering_zone_ids(group.region, t.name)
            if offered is not None and zone not in offered:
                where = f"AZ IDs that offer it: {', '.join(offered)}" if offered else "no AZ ID of the Region does"
                out.append(Problem(f"{path}.zones[{j}]", f"{zone} does not offer {t.name} ({where})"))
    return out


def _warnings(group: GroupSpec, path: str, types: list[InstanceType], catalog: Catalog) -> list[Problem]:
    """Zone names map to physical zones per account, so their offerings cannot be checked."""
    names = [z for z in group.zones if not is_zone_id(z)]
    if not names or offering_zone_ids(group.region, types[0].name if types else "") is None:
        return []
    return [
        Problem(
            f"{path}.zones",
            f"instance type offerings were not checked for zone names ({', '.join(names)}): names map to "
            "different physical zones per account. Give AZ IDs (e.g. use1-az6, see 'aws ec2 "
            "describe-availability-zones') to have them checked",
        )
    ]


def _network_problems(group: GroupSpec, path: str) -> list[Problem]:
    """A created network must fit its zones, and it needs them named: a default such as
    ``<region>b`` may take no subnets (ap-northeast-1b answers InvalidParameterValue)."""
    if not group.zones and not group.rdma:  # with rdma, _check already asks for its one zone
        return [
            Problem(
                f"{path}.zones",
                "a created network needs its zones: give zone names (e.g. us-east-1a) or AZ IDs (e.g. use1-az6). "
                "gpufleet does not guess: some zones take no new subnets (ap-northeast-1b) and names map to "
                "different physical zones per account",
            )
        ]
    zones = zones_for(group)
    if not zones:
        return []
    if len(zones) > MAX_ZONES:
        return [Problem(f"{path}.zones", f"a created network holds at most {MAX_ZONES} zones, got {len(zones)}")]
    # Zones that exist but take no new subnets (ap-northeast-1b): moto's zone table, the same data
    # as the contract rule aws.ec2.subnet-zone (contract/data/aws_subnet_zones.csv).
    names, ids = zone_names(group.region), zone_ids(group.region)
    out = []
    for j, zone in enumerate(zones):
        known = ids if is_zone_id(zone) else names
        if known is not None and _zone_ok(group.region, zone) and zone not in known:
            out.append(
                Problem(
                    f"{path}.zones[{j}]",
                    f"{zone} takes no new subnets (CreateSubnet answers InvalidParameterValue); zones that do: "
                    f"{', '.join(known)}",
                )
            )
    # The subnet size is checked for every cloud by gpufleet.capabilities.subnet_problems.
    return out


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
    warnings=_warnings,
)
