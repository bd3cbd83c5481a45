"""Reference AWS groups (fleet-dict fragments merged over helpers.BASE_GROUP) and the
context factory type used by the AWS tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpufleet.context import GroupContext

MakeCtx = Callable[..., GroupContext]
"""``make_ctx(group_fragment)`` fixture type (tests/aws/conftest.py)."""

# Reference groups used across the tests.
P5_EFA: dict[str, Any] = {
    "gpu": {"model": "H100-80GB", "count": 8, "instanceTypes": ["p5.48xlarge"]},
    "rdma": True,
    "market": {"type": "mixed", "onDemandBase": 1, "maxPricePercent": 80},
}
P4D_EFA: dict[str, Any] = {
    "gpu": {"model": "A100-40GB", "count": 8, "instanceTypes": ["p4d.24xlarge"]},
    "rdma": True,
}
L4_SPOT: dict[str, Any] = {
    "zones": ["us-east-1a", "us-east-1b"],
    "gpu": {"model": "L4-24GB", "count": 1, "instanceTypes": ["g6.xlarge", "g6.2xlarge", "g6.4xlarge"]},
    "capacity": {"min": 0, "desired": 0, "max": 8},
    "market": {"type": "spot", "maxPricePercent": 70},
    "autoscaling": {
        "gpuUtilizationTarget": 60,
        "schedules": [
            {"name": "office-hours", "cron": "0 8 * * 1-5", "timezone": "America/New_York", "min": 1, "desired": 2},
            {"cron": "0 20 * * 1-5", "timezone": "America/New_York", "desired": 0},
        ],
    },
}
ON_DEMAND_ONE: dict[str, Any] = {
    "gpu": {"model": "A10G-24GB", "count": 1, "instanceTypes": ["g5.xlarge"]},
    "capacity": {"min": 1, "max": 2},
}
