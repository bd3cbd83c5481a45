"""Reference Alibaba groups (fleet-dict fragments) and helpers shared by the Alibaba tests.

``ALI_BASE`` turns helpers.BASE_GROUP (an AWS group) into an Alibaba one; the other
fragments are merged over it with :func:`ali`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpufleet.context import GroupContext
from helpers import merge

MakeCtx = Callable[..., GroupContext]
"""``make_ctx(group_fragment)`` fixture type (tests/alicloud/conftest.py)."""

ALI_BASE: dict[str, Any] = {
    "cloud": "alicloud",
    "region": "cn-beijing",
    "zones": ["cn-beijing-h", "cn-beijing-i"],
    "gpu": {"model": "A10-24GB", "count": 1, "instanceTypes": ["ecs.gn7i-c8g1.2xlarge", "ecs.gn7i-c16g1.4xlarge"]},
    "capacity": {"min": 0, "desired": 1, "max": 6},
    "network": {"create": True, "cidr": "10.61.0.0/16"},
}
"""On-demand A10 inference in two Beijing zones (both types have a CNY catalog price there)."""

A10_SPOT: dict[str, Any] = {"market": {"type": "spot", "maxPricePercent": 60}}
A10_SPOT_UNCAPPED: dict[str, Any] = {"market": {"type": "spot"}}
A10_MIXED: dict[str, Any] = {"market": {"type": "mixed", "onDemandBase": 1, "onDemandPercentAboveBase": 20}}

GN8IS_ERDMA: dict[str, Any] = {
    "zones": ["cn-beijing-l"],
    "gpu": {"model": "L20-48GB", "count": 8, "instanceTypes": ["ecs.gn8is-8x.32xlarge"]},
    "capacity": {"min": 0, "desired": 2, "max": 4},
    "rdma": True,
    "network": {"create": True, "cidr": "10.60.0.0/16"},
}
"""An 8-GPU gn8is eRDMA group, a type missing from the ERI table (the template now uses gn8is-4x.16xlarge)."""

EBMGN8IS_ERDMA: dict[str, Any] = {
    **GN8IS_ERDMA,
    "gpu": {"model": "L20-48GB", "count": 8, "instanceTypes": ["ecs.ebmgn8is.32xlarge"]},
}
"""Bare-metal L20 x8: two eRDMA interfaces per node in the PAI table (erdma.py)."""

SHANGHAI_SCHEDULES: dict[str, Any] = {
    # ALI_BASE starts at desired 1, so every task that sets min sets desired too (alicloud/rules.py)
    "autoscaling": {
        "gpuUtilizationTarget": 60,
        "scheduleStart": "2026-12-01",
        "schedules": [
            {"name": "office-hours", "cron": "0 9 * * *", "timezone": "Asia/Shanghai", "min": 1, "desired": 2},
            {"name": "early", "cron": "0 6 1,15 * *", "timezone": "UTC", "desired": 1},
            {"cron": "30 21 * * *", "timezone": "Asia/Shanghai", "min": 0, "desired": 0},
        ],
    }
}


def ali(*fragments: dict[str, Any]) -> dict[str, Any]:
    """An Alibaba group: ALI_BASE with ``fragments`` merged over it in order."""
    out = ALI_BASE
    for f in fragments:
        out = merge(out, f)
    return out


STATIC_EBMGN8IS: dict[str, Any] = {
    **EBMGN8IS_ERDMA,
    "capacity": {"mode": "static", "min": 2, "max": 2},
    # What `aliyun ecs DescribeDeploymentSetSupportedInstanceTypeFamily --Strategy LowLatency`
    # would have to return for this test spec; not checked offline (static.py).
    "alicloud": {"lowLatencyFamilies": ["ecs.ebmgn8is"]},
}
"""The "static eRDMA cluster" test spec of issue 16: two bare-metal L20 x8 nodes (two ERIs each)
in a LowLatency deployment set, on-demand."""
