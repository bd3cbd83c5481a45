"""AWS zones: names and AZ IDs, which take subnets, and which GPU types each AZ ID offers.

Pure data lookups (no Pulumi), from the contract check's data files, built from moto's EC2
data by scripts/build_contract_data.py: ``aws_subnet_zones.csv`` (the zones where CreateSubnet
succeeds, with their AZ IDs) and ``aws_zone_offerings.csv`` (DescribeInstanceTypeOfferings by
AZ ID). Zone *names* map to physical zones differently per account [DOC: EC2 UG "AZ IDs"], so
offerings can be checked for AZ IDs only.
"""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources

_AZ_ID = re.compile(r"^[a-z]{2,6}\d+-az\d+$")


def is_zone_id(zone: str) -> bool:
    """``use1-az6`` (an AZ ID) rather than ``us-east-1a`` (a zone name)."""
    return bool(_AZ_ID.match(zone))


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("gpufleet.contract").joinpath(f"data/{name}").read_text()
    return list(csv.DictReader(text.splitlines()))


@functools.cache
def _subnet_zones() -> dict[str, tuple[tuple[str, str], ...]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for r in _rows("aws_subnet_zones.csv"):
        out.setdefault(r["region"], []).append((r["zone"], r["zone_id"]))
    return {k: tuple(v) for k, v in out.items()}


def zone_ids(region: str) -> tuple[str, ...] | None:
    """AZ IDs of ``region`` that take new subnets; None where no data exists."""
    zones = _subnet_zones().get(region)
    return tuple(i for _, i in zones) if zones is not None else None


def zone_names(region: str) -> tuple[str, ...] | None:
    """Zone names of ``region`` that take new subnets; None where no data exists."""
    zones = _subnet_zones().get(region)
    return tuple(n for n, _ in zones) if zones is not None else None


def region_of_zone_id(zone_id: str) -> str | None:
    """The Region an AZ ID belongs to, where the data knows its prefix (``use1`` -> us-east-1)."""
    prefix = zone_id.split("-az", 1)[0]
    for region, zones in _subnet_zones().items():
        if any(i.split("-az", 1)[0] == prefix for _, i in zones):
            return region
    return None


@functools.cache
def _offerings() -> dict[str, dict[str, frozenset[str]]]:
    out: dict[str, dict[str, set[str]]] = {}
    for r in _rows("aws_zone_offerings.csv"):
        out.setdefault(r["region"], {}).setdefault(r["zone_id"], set()).add(r["instance_type"])
    return {region: {z: frozenset(t) for z, t in ids.items()} for region, ids in out.items()}


def offering_zone_ids(region: str, instance_type: str) -> tuple[str, ...] | None:
    """AZ IDs of ``region`` that offer ``instance_type``; None where the Region has no data."""
    ids = _offerings().get(region)
    if ids is None:
        return None
    return tuple(sorted(z for z, types in ids.items() if instance_type in types))
