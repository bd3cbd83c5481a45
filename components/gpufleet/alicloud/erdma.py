"""eRDMA facts per instance type: how many elastic RDMA interfaces (ERIs) a node gets,
and the NCCL settings that make NCCL use them.

An ERI is an elastic network interface whose traffic mode is ``HighPerformance``
[DOC: Alibaba Cloud ECS "ERIs", https://www.alibabacloud.com/help/en/ecs/user-guide/
elastic-rdma-network-interface-card-eri]. The maximum per type is ``EriQuantity`` in
DescribeInstanceTypes, which gpufleet cannot call at plan time, so the counts below come
from a published table; types missing from it get the primary interface only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gpufleet.catalog import InstanceType

# eRDMA network interface cards per GPU type, from Alibaba Cloud PAI "eRDMA: Use
# high-performance networks for distributed training" (last updated Oct 29, 2025),
# https://www.alibabacloud.com/help/en/pai/user-guide/erdma-distributed-training-with-high-performance-networks
# The table is PAI-DLC's; that ECS exposes the same count to ESS-created instances is
# UNVERIFIED. ecs.gn8is-8x.32xlarge is not in the table, so it gets 1 (primary only).
ERI_INTERFACES: Mapping[str, int] = {
    "ecs.ebmgn7v.32xlarge": 2,
    "ecs.ebmgn8v.48xlarge": 2,
    "ecs.ebmgn8is.32xlarge": 2,
    "ecs.ebmgn8i.32xlarge": 4,
    "ecs.gn8is.2xlarge": 1,
    "ecs.gn8is.4xlarge": 1,
    "ecs.gn8is-2x.8xlarge": 1,
    "ecs.gn8is-4x.16xlarge": 1,
}

PRIMARY_ONLY = 1
"""ERIs for a type the table does not list: the primary interface in HighPerformance mode,
which every ERI-capable type supports [DOC: "ERIs": an ERI can be enabled on the primary
ENI when the instance is created]."""


def eri_count(types: Iterable[InstanceType]) -> int:
    """ERIs per node for a group: one scaling configuration serves all its types, so the
    smallest count among them (an interface a type cannot take would fail the launch)."""
    return min((ERI_INTERFACES.get(t.name, PRIMARY_ONLY) for t in types), default=PRIMARY_ONLY)


# NCCL settings PAI presets for eRDMA instances (same PAI page, "eRDMA network
# variables"). Only the ones that select the fabric are passed to the node; the tuning
# values (NCCL_MIN_NCHANNELS=16, NCCL_IB_QPS_PER_CONNECTION=8) are documented in
# docs/alicloud.md for the user's job to choose. PAI requires NCCL >= 2.19 for eRDMA.
NCCL_ENV: Mapping[str, str] = {
    "NCCL_IB_HCA": "erdma",
    "NCCL_IB_GID_INDEX": "1",
    "NCCL_SOCKET_IFNAME": "eth0",
}
